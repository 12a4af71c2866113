#pragma once

namespace CLI {
class App;
}

namespace canveg {

CLI::App* add_sweep_command(CLI::App& app, int& exit_code);

}  // namespace canveg
