#include "ctf_parser.h"

#include <memory>
#include <optional>
#include <sstream>

#include <Poco/SAX/Attributes.h>
#include <Poco/SAX/DefaultHandler.h>
#include <Poco/SAX/InputSource.h>
#include <Poco/SAX/Locator.h>
#include <Poco/SAX/SAXException.h>
#include <Poco/SAX/SAXParser.h>
#include <Poco/XML/XMLWriter.h>

namespace sendsync::ctf {
namespace {

using Poco::XML::Attributes;
using Poco::XML::XMLChar;
using Poco::XML::XMLString;

// Thrown from the handler to end the parse early; never leaves this file.
struct StopParse {};
// Thrown when elements nest deeper than kMaxCtfDepth; never leaves this file.
struct TooDeep {};

// A pupil's XML text is kept for the quarantine; beyond this size only the start is kept.
constexpr std::streamoff kMaxRawBytes = 1 << 20;

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

class Handler : public Poco::XML::DefaultHandler {
 public:
  Handler(PupilSink& sink, ParseOutcome& out, PositionStream* positions = nullptr)
      : sink_(sink), out_(out), positions_(positions) {}

  void setDocumentLocator(const Poco::XML::Locator* loc) override { locator_ = loc; }

  void startElement(const XMLString& uri, const XMLString& local, const XMLString&,
                    const Attributes& attrs) override {
    int line = locator_ ? locator_->getLineNumber() : 0;
    if (stack_.empty()) {
      out_.root_name = local;
      out_.root_uri = uri;
      out_.root_line = line;
      out_.root_ok = local == "CTfile" && uri.empty();
      if (!out_.root_ok) throw StopParse{};
    }
    // A CTF nests about eight deep. A hostile file nested hundreds of thousands deep is refused at
    // the first element too many, before its depth costs time or memory.
    if (stack_.size() >= kMaxCtfDepth) throw TooDeep{};
    // Elements in a namespace are never CTF elements: keep them on the path under a name that
    // matches nothing, so they and everything inside them are skipped.
    stack_.push_back(uri.empty() ? local : "{" + uri + "}" + local);
    if (positions_ && stack_.size() == 2 && stack_[1] == "CTFpupilData" && out_.data.offset == 0) {
      std::optional<FilePos> end = positions_->EndOfTag(line, Column(), "CTFpupilData");
      if (end) out_.data = *end;
    }
    if (positions_ && stack_.size() >= 3 && stack_[1] == "CTFpupilData")
      line = positions_->FileLine(line);
    // The raw text is for a person: elements are written by their local name, without the
    // namespace bookkeeping that could make the writer refuse what the parser accepted.
    if (in_pupil_ && raw_) Forward([&] { raw_->startElement("", local, "", attrs); });
    Resolve(line);
  }

  void endElement(const XMLString&, const XMLString& local, const XMLString&) override {
    if (target_ && stack_.size() == target_depth_) {
      if (target_->count == 0) {
        target_->text = Trim(text_);
        target_->line = target_line_;
      }
      ++target_->count;
      target_ = nullptr;
    }
    if (in_pupil_ && raw_) Forward([&] { raw_->endElement("", local, ""); });
    if (in_pupil_ && stack_.size() == 3) {
      if (positions_) {
        std::optional<FilePos> end = positions_->EndOfTag(Line(), Column(), "Pupil");
        pupil_.end = end ? *end : FilePos{};
      }
      FinishRaw();
      in_pupil_ = false;
      if (!sink_.OnPupil(pupil_)) {
        out_.stopped = true;
        throw StopParse{};
      }
    }
    stack_.pop_back();
  }

  void characters(const XMLChar ch[], int start, int length) override {
    if (target_ && stack_.size() == target_depth_) text_.append(ch + start, length);
    if (in_pupil_ && raw_) Forward([&] { raw_->characters(ch, start, length); });
  }

  // "CTfile/CTFpupilData/Pupil/UPN": where the parser is, for error messages.
  std::string Path() const {
    std::string p;
    for (const std::string& s : stack_) p += (p.empty() ? "" : "/") + s;
    return p;
  }
  int Line() const { return locator_ ? locator_->getLineNumber() : 0; }
  int Column() const { return locator_ ? locator_->getColumnNumber() : 0; }

 private:
  bool At(size_t depth, std::initializer_list<const char*> names) const {
    if (stack_.size() != depth) return false;
    size_t i = 1;  // stack_[0] is the root, already checked
    for (const char* n : names)
      if (stack_[i++] != n) return false;
    return true;
  }

  void Capture(Field& f, int line) {
    target_ = &f;
    target_depth_ = stack_.size();
    target_line_ = line;
    text_.clear();
  }

  // Decides what the element just opened means for the hub.
  void Resolve(int line) {
    const size_t d = stack_.size();
    const std::string& name = stack_.back();
    if (d == 2 && name == "Header") {
      out_.header.line = line;
    } else if (d == 3 && stack_[1] == "Header") {
      CtfHeader& h = out_.header;
      if (name == "DocumentName")
        Capture(h.document_name, line);
      else if (name == "CTFversion")
        Capture(h.version, line);
      else if (name == "DateTime")
        Capture(h.date_time, line);
      else if (name == "DocumentQualifier")
        Capture(h.qualifier, line);
      else if (name == "SupplierID")
        Capture(h.supplier, line);
      else if (name == "SourceSchool")
        h.source_line = line;
      else if (name == "DestSchool")
        h.dest_line = line;
    } else if (At(4, {"Header", "SourceSchool"})) {
      CtfHeader& h = out_.header;
      if (name == "LEA")
        Capture(h.source_la, line);
      else if (name == "Estab")
        Capture(h.source_estab, line);
      else if (name == "SchoolName")
        Capture(h.source_name, line);
      else if (name == "AcademicYear")
        Capture(h.academic_year, line);
    } else if (At(4, {"Header", "DestSchool"})) {
      if (name == "LEA")
        Capture(out_.header.dest_la, line);
      else if (name == "Estab")
        Capture(out_.header.dest_estab, line);
    } else if (d == 3 && stack_[1] == "CTFpupilData" && name == "Pupil") {
      StartPupil(line);
    } else if (in_pupil_) {
      ResolvePupil(d, name, line);
    }
  }

  void ResolvePupil(size_t d, const std::string& name, int line) {
    ParsedPupil& p = pupil_;
    if (d == 4) {
      if (name == "UPN")
        Capture(p.upn, line);
      else if (name == "UniqueLearnerNumber")
        Capture(p.uln, line);
      else if (name == "Surname")
        Capture(p.surname, line);
      else if (name == "Forename")
        Capture(p.forename, line);
      else if (name == "DOB")
        Capture(p.dob, line);
      else if (name == "Sex")
        Capture(p.sex, line);
      else if (name == "Gender")
        Capture(p.gender, line);
      else if (name == "SENhistory" && p.sen_history_line == 0)
        p.sen_history_line = line;
    } else if (d == 5 && stack_[3] == "BasicDetails") {
      if (name == "FormerUPN")
        Capture(p.former_upn, line);
      else if (name == "PreferredSurname")
        Capture(p.preferred_surname, line);
      else if (name == "PreferredForename")
        Capture(p.preferred_forename, line);
      else if (name == "MiddleNames")
        Capture(p.middle_names, line);
      else if (name == "NCyearActual")
        Capture(p.nc_year, line);
    } else if (d == 5 && stack_[3] == "SENhistory") {
      if (name == "SEN")
        p.episodes.push_back({line, {}, {}});
      else if (name == "SENunitIndicator")
        Capture(p.sen_unit, line);
      else if (name == "ResourcedProvisionIndicator")
        Capture(p.resourced_provision, line);
    } else if (d == 6 && stack_[3] == "SENhistory" && stack_[4] == "SEN") {
      if (name == "StartDate")
        Capture(p.episodes.back().start, line);
      else if (name == "SENprovision")
        Capture(p.episodes.back().provision, line);
    } else if (d == 6 && stack_[3] == "SENhistory" && stack_[4] == "SENneeds") {
      if (name == "SENneed") p.needs.push_back({line, {}, {}, {}, {}});
    } else if (d == 7 && stack_[3] == "SENhistory" && stack_[4] == "SENneeds" &&
               stack_[5] == "SENneed") {
      ParsedNeed& n = p.needs.back();
      if (name == "SENtypeRank")
        Capture(n.rank, line);
      else if (name == "SENtype")
        Capture(n.type, line);
      else if (name == "NeedStartDate")
        Capture(n.start, line);
      else if (name == "NeedEndDate")
        Capture(n.end, line);
    }
  }

  void StartPupil(int line) {
    const size_t index = out_.pupils++;
    pupil_ = ParsedPupil{};
    pupil_.index = index;
    pupil_.line = line;
    in_pupil_ = true;
    raw_.reset();
    if (sink_.WantRaw(index)) {
      raw_text_.str("");
      raw_truncated_ = false;
      raw_ = std::make_unique<Poco::XML::XMLWriter>(raw_text_, 0);
      raw_->startFragment();
      raw_->startElement("", "Pupil", "");
    }
  }

  // Writes one event into the pupil's raw text unless the text has grown past the cap.
  template <typename F>
  // A failure to rebuild the text never fails the parse: the text then stops where it failed.
  void Forward(F&& write) {
    if (raw_truncated_) return;
    if (raw_text_.tellp() > kMaxRawBytes) {
      raw_truncated_ = true;
      return;
    }
    try {
      write();
    } catch (const std::exception&) {
      raw_truncated_ = true;
    }
  }

  void FinishRaw() {
    if (!raw_) return;
    if (!raw_truncated_) raw_->endFragment();
    pupil_.raw = raw_text_.str();
    if (raw_truncated_)
      pupil_.raw += "\n<!-- sendsync: the rest of this pupil is in the file (line " +
                    std::to_string(pupil_.line) + " on) -->";
    raw_.reset();
  }

  PupilSink& sink_;
  ParseOutcome& out_;
  PositionStream* const positions_;
  const Poco::XML::Locator* locator_ = nullptr;
  std::vector<std::string> stack_;
  Field* target_ = nullptr;  // the leaf being captured, valid while stack_.size() == target_depth_
  size_t target_depth_ = 0;
  int target_line_ = 0;
  std::string text_;
  bool in_pupil_ = false;
  ParsedPupil pupil_;
  std::ostringstream raw_text_;
  std::unique_ptr<Poco::XML::XMLWriter> raw_;
  bool raw_truncated_ = false;
};

void Parse(std::istream& in, Handler& handler, ParseOutcome& out) {
  Poco::XML::SAXParser parser;
  parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACES, true);
  parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACE_PREFIXES, false);
  // A CTF never needs external entities; resolving them would read other files or the network.
  parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_GENERAL_ENTITIES, false);
  parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_PARAMETER_ENTITIES, false);
  parser.setContentHandler(&handler);
  Poco::XML::InputSource source(in);
  try {
    parser.parse(&source);
  } catch (const StopParse&) {
  } catch (const TooDeep&) {
    out.well_formed = false;
    out.too_deep = true;
    out.error = "elements are nested more than " + std::to_string(kMaxCtfDepth) + " levels deep";
    out.error_line = handler.Line();
    out.error_element = handler.Path();
  } catch (const Poco::XML::SAXParseException& e) {
    out.well_formed = false;
    out.error = e.message();
    out.error_line = e.getLineNumber();
    out.error_element = handler.Path();
  } catch (const Poco::Exception& e) {
    out.well_formed = false;
    out.error = e.displayText();
    out.error_line = handler.Line();
    out.error_element = handler.Path();
  }
  if (in.bad()) out.io_error = true;
}

}  // namespace

ParseOutcome ParseCtf(std::istream& in, PupilSink& sink) {
  ParseOutcome out;
  Handler handler(sink, out);
  Parse(in, handler, out);
  return out;
}

ParseOutcome ParseCtfFile(int fd, PupilSink& sink, const ResumeAt* resume) {
  ParseOutcome out;
  std::unique_ptr<PositionStream> buf =
      resume ? std::make_unique<PositionStream>(fd, resume->data, resume->from)
             : std::make_unique<PositionStream>(fd);
  std::istream in(buf.get());
  if (resume) out.pupils = resume->pupils;
  Handler handler(sink, out, buf.get());
  Parse(in, handler, out);
  if (buf->io_error()) out.io_error = true;
  return out;
}

}  // namespace sendsync::ctf
