#include "phone.h"

#include "text.h"

namespace ghlb {

std::optional<std::string> toStoredPhone(std::string_view input) {
  const std::string_view trimmed = jsTrim(input);
  // Only ASCII digits count: other scripts' digits are dropped, as the application's /\D/g does.
  std::string digits;
  for (const char c : trimmed)
    if (c >= '0' && c <= '9') digits.push_back(c);
  if (digits.size() < 7) return std::nullopt;

  std::string_view rest = digits;
  if (rest.substr(0, 2) == "00") rest.remove_prefix(2);
  if (!rest.empty() && rest.front() == '0') return std::string(rest);

  const bool international = trimmed.substr(0, 1) == "+" || trimmed.substr(0, 2) == "00";
  const auto nxx = [](char c) { return c >= '2' && c <= '9'; };
  const bool nanp = rest.size() == 11 && rest[0] == '1' && nxx(rest[1]) && nxx(rest[4]);
  if (international || nanp) return "+" + std::string(rest);
  return std::string(rest);
}

}  // namespace ghlb
