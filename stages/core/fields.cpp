#include "fields.h"

#include "stage_flags.h"
#include "text.h"

namespace ghlb {

std::vector<std::string> fieldNames() {
  std::vector<std::string> out;
  for (const auto& f : kFields) out.emplace_back(f.name);
  return out;
}

FatalError unknownFieldError(std::string_view name, const std::vector<std::string>& valid,
                             std::string_view what) {
  std::string list;
  for (const auto& v : valid) list += (list.empty() ? "" : ", ") + v;
  const auto near = closest(std::string(name), valid);
  return usageError("--field " + escapeControl(name) + " is not " + std::string(what) +
                    (near ? "; did you mean " + *near + "?" : std::string()) + " (fields: " + list + ")");
}

}  // namespace ghlb
