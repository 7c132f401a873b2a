// A row of statement parameters built in place. A braced list (`Row{a, b, c}`) copies every value
// out of its initializer_list, so a record's body or base would be copied twice; MakeRow moves
// what it is given as an rvalue and copies the rest once.
#pragma once

#include <utility>

#include "core/store/db.h"

namespace sendsync::store {

template <class... T>
Row MakeRow(T&&... values) {
  Row row;
  row.reserve(sizeof...(values));
  (row.emplace_back(std::forward<T>(values)), ...);
  return row;
}

}  // namespace sendsync::store
