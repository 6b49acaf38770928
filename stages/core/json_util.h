// Small JSON builders for the work DB's bookkeeping columns (stage_run.options and .counts) and
// for SQLite's json_each parameters. Values are ids and numbers only.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace ghlb {

using JsonScalar = std::variant<std::int64_t, int, double, std::string>;

// {"k":v,...} in the given order.
std::string jsonObject(std::initializer_list<std::pair<std::string_view, JsonScalar>> fields);
std::string jsonObject(const std::vector<std::pair<std::string, std::int64_t>>& fields);

// ["a","b"].
std::string jsonStringArray(const std::vector<std::string>& values);

// "a,b" for logs and options (ids only).
std::string joinIds(const std::vector<std::string>& ids);

}  // namespace ghlb
