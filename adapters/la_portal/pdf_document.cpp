#include "pdf_document.h"

#include <hpdf.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>

namespace sendsync::la_portal {

namespace {

constexpr double kPageWidth = 595.276;  // A4
constexpr double kPageHeight = 841.89;
constexpr double kMargin = 56.7;  // 2 cm
constexpr double kTop = kPageHeight - kMargin;
constexpr double kBottom = kMargin + 18;  // room for the footer
constexpr double kTextWidth = kPageWidth - 2 * kMargin;
constexpr double kLabelWidth = 150;

// Decodes one UTF-8 sequence at s[i]; advances i. Invalid bytes decode as U+FFFD.
uint32_t NextCodePoint(const std::string& s, size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (len == 0 || i + static_cast<size_t>(len) > s.size()) {
    ++i;
    return 0xFFFD;
  }
  uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
  for (int k = 1; k < len; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
    if ((cc >> 6) != 2) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (cc & 0x3F);
  }
  i += static_cast<size_t>(len);
  return cp;
}

// Control characters out, tabs to spaces; newlines kept (they separate paragraphs).
std::string Clean(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '\t' || c == '\r')
      out += ' ';
    else if (c == '\n' || u >= 0x20)
      out += c;
  }
  return out;
}

void OnHpdfError(HPDF_STATUS error, HPDF_STATUS detail, void* user);

}  // namespace

std::string ToWinAnsi(const std::string& utf8) {
  static const std::pair<uint32_t, unsigned char> kCp1252[] = {
      {0x20AC, 0x80}, {0x201A, 0x82}, {0x0192, 0x83}, {0x201E, 0x84}, {0x2026, 0x85},
      {0x2020, 0x86}, {0x2021, 0x87}, {0x02C6, 0x88}, {0x2030, 0x89}, {0x0160, 0x8A},
      {0x2039, 0x8B}, {0x0152, 0x8C}, {0x017D, 0x8E}, {0x2018, 0x91}, {0x2019, 0x92},
      {0x201C, 0x93}, {0x201D, 0x94}, {0x2022, 0x95}, {0x2013, 0x96}, {0x2014, 0x97},
      {0x02DC, 0x98}, {0x2122, 0x99}, {0x0161, 0x9A}, {0x203A, 0x9B}, {0x0153, 0x9C},
      {0x017E, 0x9E}, {0x0178, 0x9F}};
  // Base letters of U+0100..U+017F (Latin Extended-A), for folding.
  static const char kFold[] =
      "AaAaAaCcCcCcCcDd"
      "DdEeEeEeEeEeGgGg"
      "GgGgHhHhIiIiIiIi"
      "IiIiJjKkkLlLlLlL"
      "lLlNnNnNnnNnOoOo"
      "OoOoRrRrRrSsSsSs"
      "SsTtTtTtUuUuUuUu"
      "UuUuWwYyYZzZzZzs";
  std::string out;
  for (size_t i = 0; i < utf8.size();) {
    uint32_t cp = NextCodePoint(utf8, i);
    if (cp < 0x80 || (cp >= 0xA0 && cp <= 0xFF)) {
      out += static_cast<char>(cp);
      continue;
    }
    bool done = false;
    for (const auto& [from, to] : kCp1252)
      if (from == cp) {
        out += static_cast<char>(to);
        done = true;
        break;
      }
    if (done) continue;
    if (cp >= 0x100 && cp <= 0x17F)
      out += kFold[cp - 0x100];
    else if (cp == 0x218 || cp == 0x21A)
      out += cp == 0x218 ? 'S' : 'T';  // Romanian comma below
    else if (cp == 0x219 || cp == 0x21B)
      out += cp == 0x219 ? 's' : 't';
    else if (cp == 0x2010 || cp == 0x2011 || cp == 0x2212)
      out += '-';
    else if (cp == 0x00A0 || cp == 0x2009 || cp == 0x202F)
      out += ' ';
    else
      out += '?';
  }
  return out;
}

struct PdfDocument::Impl {
  HPDF_Doc doc = nullptr;
  HPDF_Font regular = nullptr, bold = nullptr;
  bool unicode = false;
  std::vector<HPDF_Page> pages;
  HPDF_Page page = nullptr;
  double y = kTop;
  HPDF_STATUS error = 0, error_detail = 0;

  ~Impl() {
    if (doc) HPDF_Free(doc);
  }

  std::string Prep(const std::string& utf8) const {
    std::string s = Clean(utf8);
    return unicode ? s : ToWinAnsi(s);
  }

  void AddPage() {
    page = HPDF_AddPage(doc);
    HPDF_Page_SetSize(page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
    pages.push_back(page);
    y = kTop;
  }

  void Ensure(double height) {
    if (y - height < kBottom) AddPage();
  }

  double Width(const std::string& prepared, HPDF_Font font, double size) {
    HPDF_Page_SetFontAndSize(page, font, static_cast<HPDF_REAL>(size));
    return HPDF_Page_TextWidth(page, prepared.c_str());
  }

  // Splits a prepared string at character boundaries so each piece fits `width`.
  std::vector<std::string> BreakWord(const std::string& word, HPDF_Font font, double size,
                                     double width) {
    std::vector<std::string> out;
    std::string cur;
    for (size_t i = 0; i < word.size();) {
      size_t start = i;
      if (unicode)
        NextCodePoint(word, i);
      else
        ++i;
      std::string next = cur + word.substr(start, i - start);
      if (!cur.empty() && Width(next, font, size) > width) {
        out.push_back(cur);
        cur = word.substr(start, i - start);
      } else {
        cur = next;
      }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
  }

  // Wraps prepared text to `width`; each '\n' starts a new line, blank lines stay blank.
  std::vector<std::string> Wrap(const std::string& prepared, HPDF_Font font, double size,
                                double width) {
    std::vector<std::string> lines;
    size_t start = 0;
    while (start <= prepared.size()) {
      size_t nl = prepared.find('\n', start);
      std::string para =
          prepared.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
      std::string line;
      size_t pos = 0;
      bool any = false;
      while (pos < para.size()) {
        size_t sp = para.find(' ', pos);
        std::string word = para.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos);
        pos = sp == std::string::npos ? para.size() : sp + 1;
        if (word.empty()) continue;
        any = true;
        std::string candidate = line.empty() ? word : line + " " + word;
        if (Width(candidate, font, size) <= width) {
          line = candidate;
          continue;
        }
        if (!line.empty()) lines.push_back(line);
        line.clear();
        if (Width(word, font, size) <= width) {
          line = word;
        } else {
          std::vector<std::string> parts = BreakWord(word, font, size, width);
          for (size_t k = 0; k + 1 < parts.size(); ++k) lines.push_back(parts[k]);
          line = parts.empty() ? "" : parts.back();
        }
      }
      if (!line.empty() || !any) lines.push_back(line);
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
    return lines;
  }

  void Text(double x, double at_y, const std::string& prepared, HPDF_Font font, double size,
            double gray = 0) {
    if (prepared.empty()) return;
    HPDF_Page_SetRGBFill(page, static_cast<HPDF_REAL>(gray), static_cast<HPDF_REAL>(gray),
                         static_cast<HPDF_REAL>(gray));
    HPDF_Page_BeginText(page);
    HPDF_Page_SetFontAndSize(page, font, static_cast<HPDF_REAL>(size));
    HPDF_Page_TextOut(page, static_cast<HPDF_REAL>(x), static_cast<HPDF_REAL>(at_y),
                      prepared.c_str());
    HPDF_Page_EndText(page);
  }

  void Rule(double at_y, double gray) {
    HPDF_Page_SetRGBStroke(page, static_cast<HPDF_REAL>(gray), static_cast<HPDF_REAL>(gray),
                           static_cast<HPDF_REAL>(gray));
    HPDF_Page_SetLineWidth(page, 0.5);
    HPDF_Page_MoveTo(page, static_cast<HPDF_REAL>(kMargin), static_cast<HPDF_REAL>(at_y));
    HPDF_Page_LineTo(page, static_cast<HPDF_REAL>(kMargin + kTextWidth),
                     static_cast<HPDF_REAL>(at_y));
    HPDF_Page_Stroke(page);
  }

  // Flowing lines at x with a given leading; breaks pages between lines.
  void Lines(const std::vector<std::string>& lines, double x, HPDF_Font font, double size,
             double leading, double gray = 0) {
    for (const std::string& l : lines) {
      Ensure(leading);
      y -= leading;
      Text(x, y + (leading - size) * 0.5, l, font, size, gray);
    }
  }
};

namespace {

void OnHpdfError(HPDF_STATUS error, HPDF_STATUS detail, void* user) {
  auto* impl = static_cast<PdfDocument::Impl*>(user);
  if (impl->error == 0) {
    impl->error = error;
    impl->error_detail = detail;
  }
}

}  // namespace

PdfDocument::PdfDocument(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PdfDocument::~PdfDocument() = default;

Result<std::unique_ptr<PdfDocument>> PdfDocument::Create(const std::string& fonts_dir,
                                                         const std::string& title) {
  auto impl = std::make_unique<Impl>();
  impl->doc = HPDF_New(&OnHpdfError, impl.get());
  if (!impl->doc) return Status::Internal("libharu could not start a PDF document");
  HPDF_SetCompressionMode(impl->doc, HPDF_COMP_ALL);
  HPDF_SetInfoAttr(impl->doc, HPDF_INFO_TITLE, title.c_str());
  HPDF_SetInfoAttr(impl->doc, HPDF_INFO_CREATOR, "sendsync la-portal adapter");
  const std::string regular = fonts_dir + "/DejaVuSans.ttf";
  const std::string bold = fonts_dir + "/DejaVuSans-Bold.ttf";
  if (!fonts_dir.empty() && ::access(regular.c_str(), R_OK) == 0 &&
      ::access(bold.c_str(), R_OK) == 0) {
    HPDF_UseUTFEncodings(impl->doc);
    HPDF_SetCurrentEncoder(impl->doc, "UTF-8");
    const char* r = HPDF_LoadTTFontFromFile(impl->doc, regular.c_str(), HPDF_TRUE);
    const char* b = HPDF_LoadTTFontFromFile(impl->doc, bold.c_str(), HPDF_TRUE);
    if (r && b) {
      impl->regular = HPDF_GetFont(impl->doc, r, "UTF-8");
      impl->bold = HPDF_GetFont(impl->doc, b, "UTF-8");
      impl->unicode = impl->regular && impl->bold;
    }
  }
  if (!impl->unicode) {
    // A font file that did not load is not fatal: the base fonts can still print the pack.
    HPDF_ResetError(impl->doc);
    impl->error = 0;
    impl->regular = HPDF_GetFont(impl->doc, "Helvetica", "WinAnsiEncoding");
    impl->bold = HPDF_GetFont(impl->doc, "Helvetica-Bold", "WinAnsiEncoding");
  }
  if (!impl->regular || !impl->bold) return Status::Internal("libharu could not load a font");
  impl->AddPage();
  return std::unique_ptr<PdfDocument>(new PdfDocument(std::move(impl)));
}

bool PdfDocument::unicode() const {
  return impl_->unicode;
}

void PdfDocument::Title(const std::string& text) {
  auto lines = impl_->Wrap(impl_->Prep(text), impl_->bold, 22, kTextWidth);
  impl_->Lines(lines, kMargin, impl_->bold, 22, 28);
  impl_->y -= 6;
}

void PdfDocument::Heading(const std::string& text) {
  if (impl_->y < kBottom + 140) impl_->AddPage();
  if (impl_->y < kTop) impl_->y -= 12;
  auto lines = impl_->Wrap(impl_->Prep(text), impl_->bold, 15, kTextWidth);
  impl_->Lines(lines, kMargin, impl_->bold, 15, 20, 0.1);
  impl_->y -= 3;
  impl_->Rule(impl_->y, 0.6);
  impl_->y -= 6;
}

void PdfDocument::Subheading(const std::string& text) {
  if (impl_->y < kBottom + 60) impl_->AddPage();
  impl_->y -= 6;
  auto lines = impl_->Wrap(impl_->Prep(text), impl_->bold, 11.5, kTextWidth);
  impl_->Lines(lines, kMargin, impl_->bold, 11.5, 16);
  impl_->y -= 2;
}

void PdfDocument::Paragraph(const std::string& text) {
  auto lines = impl_->Wrap(impl_->Prep(text), impl_->regular, 10.5, kTextWidth);
  impl_->Lines(lines, kMargin, impl_->regular, 10.5, 14.5);
  impl_->y -= 4;
}

void PdfDocument::Note(const std::string& text) {
  auto lines = impl_->Wrap(impl_->Prep(text), impl_->regular, 9, kTextWidth);
  impl_->Lines(lines, kMargin, impl_->regular, 9, 12, 0.35);
  impl_->y -= 3;
}

void PdfDocument::Field(const std::string& label, const std::string& value) {
  auto labels = impl_->Wrap(impl_->Prep(label), impl_->bold, 10.5, kLabelWidth - 8);
  auto values = impl_->Wrap(impl_->Prep(value.empty() ? "—" : value), impl_->regular, 10.5,
                            kTextWidth - kLabelWidth);
  const size_t n = std::max(labels.size(), values.size());
  for (size_t i = 0; i < n; ++i) {
    impl_->Ensure(14.5);
    impl_->y -= 14.5;
    const double base = impl_->y + 2;
    if (i < labels.size()) impl_->Text(kMargin, base, labels[i], impl_->bold, 10.5, 0.25);
    if (i < values.size())
      impl_->Text(kMargin + kLabelWidth, base, values[i], impl_->regular, 10.5);
  }
}

void PdfDocument::Bullet(const std::string& text) {
  auto lines = impl_->Wrap(impl_->Prep(text), impl_->regular, 10.5, kTextWidth - 14);
  for (size_t i = 0; i < lines.size(); ++i) {
    impl_->Ensure(14.5);
    impl_->y -= 14.5;
    if (i == 0) impl_->Text(kMargin + 2, impl_->y + 2, impl_->Prep("•"), impl_->regular, 10.5);
    impl_->Text(kMargin + 14, impl_->y + 2, lines[i], impl_->regular, 10.5);
  }
  impl_->y -= 2;
}

void PdfDocument::Space(double points) {
  impl_->y -= points;
}

void PdfDocument::NewPage() {
  impl_->AddPage();
}

void PdfDocument::Table(const std::vector<Column>& columns,
                        const std::vector<std::vector<std::string>>& rows, bool bold_last) {
  constexpr double kSize = 8.5, kLeading = 11, kPad = 3;
  double total = 0;
  for (const auto& c : columns) total += c.width;
  std::vector<double> x, w;
  double at = kMargin;
  for (const auto& c : columns) {
    x.push_back(at);
    w.push_back(kTextWidth * c.width / total);
    at += w.back();
  }
  const double max_lines = (kTop - kBottom - 40) / kLeading;
  std::vector<std::string> header;
  for (const auto& c : columns) header.push_back(c.heading);
  // Draws one row; a row that does not fit on this page goes to the next, under a repeated header.
  std::function<void(const std::vector<std::string>&, HPDF_Font, bool)> draw_row =
      [&](const std::vector<std::string>& cells, HPDF_Font font, bool is_header) {
        std::vector<std::vector<std::string>> wrapped;
        size_t n = 1;
        for (size_t i = 0; i < columns.size(); ++i) {
          auto lines = impl_->Wrap(impl_->Prep(i < cells.size() ? cells[i] : ""), font, kSize,
                                   w[i] - 2 * kPad);
          if (lines.size() > max_lines) {  // a cell longer than a page is cut, visibly
            lines.resize(static_cast<size_t>(max_lines));
            lines.back() = impl_->Prep("…");
          }
          n = std::max(n, lines.size());
          wrapped.push_back(std::move(lines));
        }
        const double h = static_cast<double>(n) * kLeading + 2 * kPad;
        if (impl_->y - h < kBottom) {
          impl_->AddPage();
          if (!is_header) draw_row(header, impl_->bold, true);
        }
        if (is_header) {
          HPDF_Page_SetRGBFill(impl_->page, 0.9f, 0.9f, 0.9f);
          HPDF_Page_Rectangle(impl_->page, static_cast<HPDF_REAL>(kMargin),
                              static_cast<HPDF_REAL>(impl_->y - h),
                              static_cast<HPDF_REAL>(kTextWidth), static_cast<HPDF_REAL>(h));
          HPDF_Page_Fill(impl_->page);
        }
        for (size_t i = 0; i < columns.size(); ++i)
          for (size_t l = 0; l < wrapped[i].size(); ++l) {
            double ty = impl_->y - kPad - static_cast<double>(l + 1) * kLeading + 2.5;
            double tx = x[i] + kPad;
            if (columns[i].right)
              tx = x[i] + w[i] - kPad - impl_->Width(wrapped[i][l], font, kSize);
            impl_->Text(tx, ty, wrapped[i][l], font, kSize);
          }
        impl_->y -= h;
        impl_->Rule(impl_->y, 0.75);
      };
  // Keep the header with at least one row.
  impl_->Ensure(3 * kLeading + 4 * kPad);
  draw_row(header, impl_->bold, true);
  for (size_t r = 0; r < rows.size(); ++r)
    draw_row(rows[r], bold_last && r + 1 == rows.size() ? impl_->bold : impl_->regular, false);
  impl_->y -= 6;
}

namespace {

void FillRect(HPDF_Page page, double x, double y, double w, double h, double gray) {
  HPDF_Page_SetRGBFill(page, static_cast<HPDF_REAL>(gray), static_cast<HPDF_REAL>(gray),
                       static_cast<HPDF_REAL>(gray));
  HPDF_Page_Rectangle(page, static_cast<HPDF_REAL>(x), static_cast<HPDF_REAL>(y),
                      static_cast<HPDF_REAL>(w), static_cast<HPDF_REAL>(h));
  HPDF_Page_Fill(page);
}

}  // namespace

void PdfDocument::BarChart(const std::vector<Bars>& items) {
  constexpr double kSize = 8.5, kBar = 8, kGap = 3;
  const double label_w = kTextWidth * 0.36, area_x = kMargin + label_w + 6,
               area_w = kTextWidth - label_w - 6 - 90;  // room for the caption
  double max = 0;
  for (const Bars& b : items)
    for (const auto& v : b.values) max = std::max(max, v.first);
  if (max <= 0) max = 1;
  for (const Bars& b : items) {
    auto label = impl_->Wrap(impl_->Prep(b.label), impl_->regular, kSize, label_w);
    const double bars_h = static_cast<double>(b.values.size()) * (kBar + kGap);
    const double h = std::max(bars_h, static_cast<double>(label.size()) * 11) + 6;
    impl_->Ensure(h);
    const double top = impl_->y;
    for (size_t l = 0; l < label.size(); ++l)
      impl_->Text(kMargin, top - static_cast<double>(l + 1) * 11 + 2.5, label[l], impl_->regular,
                  kSize);
    const size_t n = b.values.size();
    for (size_t i = 0; i < n; ++i) {
      const double y = top - static_cast<double>(i + 1) * (kBar + kGap);
      const double w = std::max(1.0, area_w * b.values[i].first / max);
      FillRect(impl_->page, area_x, y, w, kBar,
               n == 1 ? 0.35 : 0.75 - 0.45 * static_cast<double>(i) / static_cast<double>(n - 1));
      impl_->Text(area_x + w + 4, y + 1, impl_->Prep(b.values[i].second), impl_->regular, kSize);
    }
    impl_->y = top - h;
  }
  impl_->y -= 6;
}

void PdfDocument::SpanChart(const std::vector<Span>& spans, const std::string& start,
                            const std::string& end) {
  constexpr double kSize = 8, kRow = 12, kBar = 7;
  const double label_w = kTextWidth * 0.36, area_x = kMargin + label_w + 6,
               area_w = kTextWidth - label_w - 6;
  for (const Span& s : spans) {
    impl_->Ensure(kRow + 14);
    impl_->y -= kRow;
    auto label = impl_->Wrap(impl_->Prep(s.label), impl_->regular, kSize, label_w);
    if (!label.empty()) impl_->Text(kMargin, impl_->y + 2, label[0], impl_->regular, kSize);
    // A faint track, then the span (a marker when it has no length).
    FillRect(impl_->page, area_x, impl_->y + 2 + kBar / 2 - 0.25, area_w, 0.5, 0.85);
    const double from = std::clamp(s.from, 0.0, 1.0), to = std::clamp(s.to, from, 1.0);
    if (to - from < 1e-9)
      FillRect(impl_->page, area_x + area_w * from - 2.5, impl_->y + 1.5 + kBar / 2 - 2.5, 5, 5,
               0.15);
    else
      FillRect(impl_->page, area_x + area_w * from, impl_->y + 2,
               std::max(1.5, area_w * (to - from)), kBar, 0.4);
  }
  impl_->y -= 11;
  const std::string a = impl_->Prep(start), b = impl_->Prep(end);
  impl_->Text(area_x, impl_->y + 2, a, impl_->regular, kSize, 0.35);
  impl_->Text(area_x + area_w - impl_->Width(b, impl_->regular, kSize), impl_->y + 2, b,
              impl_->regular, kSize, 0.35);
  impl_->y -= 8;
}

Result<std::string> PdfDocument::Finish(const std::string& footer_left) {
  const std::string left = impl_->Prep(footer_left);
  const size_t n = impl_->pages.size();
  for (size_t i = 0; i < n; ++i) {
    impl_->page = impl_->pages[i];
    const std::string right =
        impl_->Prep("Page " + std::to_string(i + 1) + " of " + std::to_string(n));
    const double rw = impl_->Width(right, impl_->regular, 8);
    std::string l = left;
    while (!l.empty() && impl_->Width(l, impl_->regular, 8) > kTextWidth - rw - 20) {
      size_t cut = l.size() - 1;
      if (impl_->unicode)  // back to a character boundary
        while (cut > 0 && (static_cast<unsigned char>(l[cut]) & 0xC0) == 0x80) --cut;
      l.resize(cut);
    }
    impl_->Text(kMargin, kMargin - 4, l, impl_->regular, 8, 0.4);
    impl_->Text(kMargin + kTextWidth - rw, kMargin - 4, right, impl_->regular, 8, 0.4);
  }
  if (impl_->error != 0) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "0x%04X (detail %u)", static_cast<unsigned>(impl_->error),
                  static_cast<unsigned>(impl_->error_detail));
    return Status::Internal(std::string("libharu failed while drawing the evidence pack: error ") +
                            buf);
  }
  if (HPDF_SaveToStream(impl_->doc) != HPDF_OK)
    return Status::Internal("libharu could not write the evidence pack PDF");
  std::string out;
  out.resize(HPDF_GetStreamSize(impl_->doc));
  HPDF_UINT32 len = static_cast<HPDF_UINT32>(out.size());
  HPDF_ResetStream(impl_->doc);
  HPDF_STATUS st = HPDF_ReadFromStream(impl_->doc, reinterpret_cast<HPDF_BYTE*>(out.data()), &len);
  // libharu answers HPDF_STREAM_EOF when the read reached the end, which is what we want.
  if ((st != HPDF_OK && st != HPDF_STREAM_EOF) || len != out.size())
    return Status::Internal("libharu could not hand over the evidence pack PDF");
  return out;
}

}  // namespace sendsync::la_portal
