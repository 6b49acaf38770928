// ghlb-store-answers WORK_DB: stores the compact answer plan reads (fetch_answer) of every
// fetch_result row that has none, through fetch's own function (fetch_store.h
// storeMissingAnswers). Used by tools/bench/gen-fetch-results, which writes fetch_result rows by
// SQL: the bench's plan then reads what a real fetch would have stored. Not installed.
#include <exception>
#include <iostream>

#include "fetch_store.h"
#include "work_db.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: ghlb-store-answers WORK_DB\n";
    return 2;
  }
  try {
    ghlb::WorkDb work(argv[1], ghlb::WorkDb::Mode::kExisting);
    const auto n = ghlb::storeMissingAnswers(work.db());
    std::cout << "ghlb-store-answers: " << n << " answers stored\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "ghlb-store-answers: " << e.what() << "\n";
    return 1;
  }
}
