// A small flowing-text layout over libharu for the evidence pack: A4 pages, headings, wrapped
// paragraphs, label/value lines, bullets and tables whose cells wrap, new pages as text runs over,
// and a footer with "page n of N" on every page.
//
// Text is UTF-8. With DejaVu Sans (fonts_dir holding DejaVuSans.ttf and DejaVuSans-Bold.ttf, from
// Debian's fonts-dejavu-core) the fonts are embedded (subset) with UTF-8 encoding, so names in any
// European script print as written; characters DejaVu Sans lacks (CJK, for instance) show as
// empty boxes in the PDF but stay in evidence.json. Without those files the document falls back
// to the PDF base font Helvetica in WinAnsi (CP1252) encoding: accented Latin letters outside it
// are folded to their base letter (Ł → L) and anything else becomes "?". Output is deterministic:
// the same calls give the same bytes (no dates or random ids are written).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sendsync/sdk/status.h"

namespace sendsync::la_portal {

class PdfDocument {
 public:
  // Starts a document with one empty page. `title` goes into the PDF's metadata.
  static Result<std::unique_ptr<PdfDocument>> Create(const std::string& fonts_dir,
                                                     const std::string& title);
  ~PdfDocument();

  bool unicode() const;  // true when DejaVu Sans is embedded

  void Title(const std::string& text);       // large, bold
  void Heading(const std::string& text);     // section heading; starts a new page if low
  void Subheading(const std::string& text);  // bold, smaller
  void Paragraph(const std::string& text);   // wrapped; blank lines keep paragraphs apart
  void Note(const std::string& text);        // smaller, grey
  void Field(const std::string& label, const std::string& value);  // "Label: value", wrapped
  void Bullet(const std::string& text);
  void Space(double points);
  void NewPage();

  struct Column {
    std::string heading;
    double width;  // share of the text width; shares are normalised
    bool right = false;
  };
  // Rows of cells (one per column); `bold_last` sets the last row in bold (a total).
  void Table(const std::vector<Column>& columns, const std::vector<std::vector<std::string>>& rows,
             bool bold_last = false);

  // A horizontal bar chart: for each item a label, then one bar per value (scaled to the largest
  // value in the chart, shades from light to dark in order) with its caption beside it.
  struct Bars {
    std::string label;
    std::vector<std::pair<double, std::string>> values;  // value >= 0, caption
  };
  void BarChart(const std::vector<Bars>& items);

  // A timeline: one row per span, its label on the left and a bar from `from` to `to` (shares of
  // the axis, 0..1) on the right; a span with from == to is drawn as a marker. The axis is
  // captioned with `start` and `end` under it.
  struct Span {
    std::string label;
    double from = 0, to = 0;
  };
  void SpanChart(const std::vector<Span>& spans, const std::string& start, const std::string& end);

  // Writes "<left>   Page n of N" on every page and returns the PDF's bytes.
  Result<std::string> Finish(const std::string& footer_left);

  struct Impl;

 private:
  explicit PdfDocument(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// UTF-8 to CP1252 (WinAnsi) for the base-font fallback: folds Latin letters with diacritics that
// CP1252 lacks to their base letter and replaces anything else with '?'. Exposed for tests.
std::string ToWinAnsi(const std::string& utf8);

}  // namespace sendsync::la_portal
