// Log lines: one line per event whatever the values hold (an id from outside may carry a newline
// or a terminal escape), in text and in JSON.
#include "log.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>

using namespace ghlb;

TEST_CASE("text log: a newline in an id cannot forge a line; control characters are escaped") {
  std::ostringstream out;
  const Log log("apply", LogFormat::kText, false, &out);
  log.error("lead failed",
            {{"lead_id", std::string("x\napply: info: forged\r\t\x1b[2J\\")}, {"n", std::int64_t{3}}});
  const std::string line = out.str();
  CHECK(std::count(line.begin(), line.end(), '\n') == 1);
  // Text lines start with a UTC timestamp ("2026-11-29T05:05:39.887Z "), then the program.
  REQUIRE(line.size() > 25);
  CHECK(line[4] == '-');
  CHECK(line[23] == 'Z');
  CHECK(line.substr(25) ==
        "apply: error: lead failed lead_id=x\\napply: info: forged\\r\\t\\x1b[2J\\\\ n=3\n");
  for (const char c : line.substr(0, line.size() - 1)) CHECK(static_cast<unsigned char>(c) >= 0x20);
}

TEST_CASE("json log: one line, the value kept exactly (escaped by JSON)") {
  std::ostringstream out;
  const Log log("fetch", LogFormat::kJson, false, &out);
  log.info("progress", {{"lead_id", std::string("a\nb\x1b")}});
  const std::string line = out.str();
  CHECK(std::count(line.begin(), line.end(), '\n') == 1);
  CHECK(line.find(R"("lead_id":"a\nb\u001B")") != std::string::npos);
}
