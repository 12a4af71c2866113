#pragma once

namespace CLI {
class App;
}

namespace canveg {

CLI::App* add_train_command(CLI::App& app, int& exit_code);

}  // namespace canveg
