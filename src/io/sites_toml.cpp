// The sites file of a multi-site training (canveg train --sites): one [[site]] table per site
// naming its model (a model JSON or a site TOML) and its training and test data, every path relative
// to the sites file's folder.
#include <filesystem>
#include <set>

#include <toml++/toml.h>

#include "canveg/errors.hpp"
#include "canveg/model_io.hpp"
#include "io/site_config_common.hpp"

namespace canveg {

std::vector<SiteTrainingFiles> read_sites_file(const std::string& path) {
  if (!std::filesystem::exists(path)) throw InputError(path, 0, "", "sites file not found");
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw InputError(path, static_cast<long>(e.source().begin.line), "", std::string(e.description()));
  }
  const auto line_of = [](const toml::node& n) { return static_cast<long>(n.source().begin.line); };
  for (const auto& [key, value] : root)
    if (key.str() != "site")
      throw InputError(path, line_of(value), std::string(key.str()),
                       "unknown key; a sites file holds one [[site]] table per site");
  const toml::array* sites = root["site"].as_array();
  if (!sites || sites->empty())
    throw InputError(path, 0, "site", "no [[site]] table: list each site's model, forcing and observed fluxes");
  static const std::set<std::string> kKeys = {"model", "site", "forcing", "observed", "test_forcing", "test_observed"};
  std::vector<SiteTrainingFiles> files;
  for (const toml::node& node : *sites) {
    const toml::table* table = node.as_table();
    const long line = line_of(node);
    if (!table) throw InputError(path, line, "site", "expected a [[site]] table");
    const std::string where = "site[" + std::to_string(files.size()) + "]";
    SiteTrainingFiles f;
    for (const auto& [key, value] : *table) {
      const std::string name(key.str());
      if (!kKeys.count(name))
        throw InputError(path, line_of(value), where + "." + name,
                         "unknown key (model or site, forcing, observed, test_forcing, test_observed)");
      const auto text = value.value<std::string>();
      if (!text || text->empty()) throw InputError(path, line_of(value), where + "." + name, "expected a file name");
      const std::string resolved = io::relative_to(path, *text);
      if (!std::filesystem::exists(resolved))
        throw InputError(path, line_of(value), where + "." + name,
                         "file '" + *text + "' not found (looked for " + io::absolute_for_message(resolved) + ")");
      (name == "model"           ? f.model
       : name == "site"          ? f.site
       : name == "forcing"       ? f.forcing
       : name == "observed"      ? f.observed
       : name == "test_forcing"  ? f.test_forcing
                                 : f.test_observed) = resolved;
    }
    if (f.model.empty() == f.site.empty())
      throw InputError(path, line, where, "give exactly one of model (a model JSON) or site (a site TOML)");
    if (f.forcing.empty() || f.observed.empty())
      throw InputError(path, line, where + "." + (f.forcing.empty() ? "forcing" : "observed"), "missing");
    if (f.test_forcing.empty() != f.test_observed.empty())
      throw InputError(path, line, where + ".test_forcing", "give test_forcing and test_observed together");
    f.line = line;
    files.push_back(f);
  }
  return files;
}

}  // namespace canveg
