// Reads an 8-bit greyscale or RGB, non-interlaced PNG (what `pdftoppm -png` writes) into grey
// pixels, so a test can tell a rendered page from a blank one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace la_portal_test {

struct GrayImage {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;  // row-major, 0 black … 255 white
  // Share of pixels darker than mid-grey.
  double DarkShare() const;
};

// Empty image (width 0) with *error set when the file is not such a PNG.
GrayImage ReadGrayPng(const std::string& path, std::string* error);

}  // namespace la_portal_test
