#include "png_probe.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <Poco/Exception.h>
#include <Poco/InflatingStream.h>

namespace la_portal_test {

namespace {

uint32_t Be32(const std::string& s, size_t at) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(s[at])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(s[at + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(s[at + 2])) << 8) |
         static_cast<uint32_t>(static_cast<uint8_t>(s[at + 3]));
}

uint8_t Paeth(int a, int b, int c) {
  int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return static_cast<uint8_t>(a);
  return static_cast<uint8_t>(pb <= pc ? b : c);
}

}  // namespace

double GrayImage::DarkShare() const {
  if (pixels.empty()) return 0;
  size_t dark = 0;
  for (uint8_t p : pixels) dark += p < 128;
  return static_cast<double>(dark) / static_cast<double>(pixels.size());
}

GrayImage ReadGrayPng(const std::string& path, std::string* error) {
  GrayImage img;
  std::ifstream in(path, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.size() < 8 || data.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) {
    *error = "not a PNG file";
    return img;
  }
  std::string idat;
  size_t channels = 1;
  for (size_t at = 8; at + 8 <= data.size();) {
    uint32_t len = Be32(data, at);
    std::string type = data.substr(at + 4, 4);
    if (at + 12 + len > data.size()) break;
    if (type == "IHDR") {
      img.width = static_cast<int>(Be32(data, at + 8));
      img.height = static_cast<int>(Be32(data, at + 12));
      int depth = static_cast<uint8_t>(data[at + 16]), color = static_cast<uint8_t>(data[at + 17]);
      int interlace = static_cast<uint8_t>(data[at + 20]);
      if (depth != 8 || (color != 0 && color != 2) || interlace != 0) {
        *error = "not an 8-bit greyscale or RGB, non-interlaced PNG";
        return GrayImage{};
      }
      channels = color == 2 ? 3 : 1;
    } else if (type == "IDAT") {
      idat += data.substr(at + 8, len);
    }
    at += 12 + len;
  }
  std::string raw;
  try {
    std::istringstream zin(idat);
    Poco::InflatingInputStream inflater(zin, Poco::InflatingStreamBuf::STREAM_ZLIB);
    raw.assign(std::istreambuf_iterator<char>(inflater), std::istreambuf_iterator<char>());
  } catch (const Poco::Exception& e) {
    *error = "cannot inflate the image data: " + e.displayText();
    return GrayImage{};
  }
  const size_t w = static_cast<size_t>(img.width), h = static_cast<size_t>(img.height);
  const size_t stride = w * channels;
  if (w == 0 || raw.size() < h * (stride + 1)) {
    *error = "the image data is short";
    return GrayImage{};
  }
  // Undo the per-row filters on bytes (PNG spec §9), then average the channels to grey.
  std::vector<uint8_t> bytes(stride * h, 0);
  for (size_t y = 0; y < h; ++y) {
    const uint8_t filter = static_cast<uint8_t>(raw[y * (stride + 1)]);
    for (size_t x = 0; x < stride; ++x) {
      int v = static_cast<uint8_t>(raw[y * (stride + 1) + 1 + x]);
      int a = x >= channels ? bytes[y * stride + x - channels] : 0;
      int b = y ? bytes[(y - 1) * stride + x] : 0;
      int c = x >= channels && y ? bytes[(y - 1) * stride + x - channels] : 0;
      switch (filter) {
        case 1:
          v += a;
          break;
        case 2:
          v += b;
          break;
        case 3:
          v += (a + b) / 2;
          break;
        case 4:
          v += Paeth(a, b, c);
          break;
        default:
          break;
      }
      bytes[y * stride + x] = static_cast<uint8_t>(v & 0xff);
    }
  }
  img.pixels.assign(w * h, 0);
  for (size_t i = 0; i < w * h; ++i) {
    int sum = 0;
    for (size_t k = 0; k < channels; ++k) sum += bytes[i * channels + k];
    img.pixels[i] = static_cast<uint8_t>(sum / static_cast<int>(channels));
  }
  return img;
}

}  // namespace la_portal_test
