#include "openapi_contract.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "base/schema/json_schema.h"

namespace sendsync::sims {

using nlohmann::json;
using schema::JsonSchema;
using SchemaPtr = std::shared_ptr<const JsonSchema>;

namespace {

// ---- YAML to JSON ----------------------------------------------------------------------------

json PlainScalar(const std::string& s) {
  static const std::regex kInt("^[-+]?[0-9]+$");
  static const std::regex kFloat("^[-+]?([0-9]+\\.[0-9]*|\\.[0-9]+|[0-9]+)([eE][-+]?[0-9]+)?$");
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (std::regex_match(s, kInt)) {
    try {
      return std::stoll(s);
    } catch (const std::exception&) {
      return s;
    }
  }
  if (std::regex_match(s, kFloat)) return std::strtod(s.c_str(), nullptr);
  return s;
}

json FromYaml(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      // yaml-cpp tags quoted scalars "!" and plain ones "?": only plain ones are resolved.
      return n.Tag() == "!" ? json(n.Scalar()) : PlainScalar(n.Scalar());
    case YAML::NodeType::Sequence: {
      json a = json::array();
      for (const auto& e : n) a.push_back(FromYaml(e));
      return a;
    }
    case YAML::NodeType::Map: {
      json o = json::object();
      for (const auto& kv : n) o[kv.first.Scalar()] = FromYaml(kv.second);
      return o;
    }
  }
  return nullptr;
}

// ---- OpenAPI schema object to draft-4 JSON Schema -----------------------------------------

json ToJsonSchema(const json& s);

json ConvertMap(const json& m) {
  json out = json::object();
  for (auto it = m.begin(); it != m.end(); ++it) out[it.key()] = ToJsonSchema(*it);
  return out;
}

json ToJsonSchema(const json& s) {
  if (!s.is_object()) return s;
  json out = json::object();
  for (auto it = s.begin(); it != s.end(); ++it) {
    const std::string& k = it.key();
    if (k == "example" || k == "examples" || k == "readOnly" || k == "writeOnly" ||
        k == "discriminator" || k == "xml" || k == "externalDocs" || k == "deprecated" ||
        k == "nullable")
      continue;
    if (k == "$ref" && it->is_string()) {
      std::string ref = *it;
      const std::string prefix = "#/components/schemas/";
      if (ref.rfind(prefix, 0) == 0) ref = "#/definitions/" + ref.substr(prefix.size());
      out[k] = ref;
    } else if (k == "properties" || k == "patternProperties") {
      out[k] = ConvertMap(*it);
    } else if (k == "items" || k == "not" || (k == "additionalProperties" && it->is_object())) {
      out[k] = ToJsonSchema(*it);
    } else if ((k == "allOf" || k == "anyOf" || k == "oneOf") && it->is_array()) {
      json a = json::array();
      for (const json& e : *it) a.push_back(ToJsonSchema(e));
      out[k] = a;
    } else {
      out[k] = *it;
    }
  }
  if (s.value("nullable", false)) {
    if (out.contains("type") && out["type"].is_string())
      out["type"] = json::array({out["type"], "null"});
    if (out.contains("enum") && out["enum"].is_array()) out["enum"].push_back(nullptr);
  }
  return out;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : path) {
    if (c == '/') {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  return parts;
}

struct Param {
  std::string name, in;
  bool required = false;
  std::string type;  // the schema's declared type, for converting the text value
  SchemaPtr schema;
};

struct Response {
  std::map<std::string, SchemaPtr> content;  // media type -> schema (null: any body)
};

struct Op {
  std::string id, method, path_template;
  std::vector<std::string> segments;
  std::vector<Param> params;
  bool body_required = false;
  std::map<std::string, SchemaPtr> body;      // media type -> schema
  std::map<std::string, Response> responses;  // "201", "default" -> response
};

}  // namespace

struct OpenApiContract::Impl {
  json doc;
  json definitions;  // converted components.schemas
  std::vector<Op> ops;
  std::map<std::string, SchemaPtr> named;  // components.schemas compiled, for CheckSchema

  Result<SchemaPtr> Compile(const json& openapi_schema) const {
    json root = ToJsonSchema(openapi_schema);
    root["definitions"] = definitions;
    return JsonSchema::Compile(root);
  }

  // Follows a local "$ref" to components/<section>; returns the object itself otherwise.
  Result<json> Resolve(const json& obj) const {
    if (!obj.is_object() || !obj.contains("$ref")) return obj;
    std::string ref = obj["$ref"].get<std::string>();
    if (ref.rfind("#/", 0) != 0) return Status::InvalidArgument("only local $refs: " + ref);
    json::json_pointer ptr(ref.substr(1));
    if (!doc.contains(ptr)) return Status::InvalidArgument("$ref to nothing: " + ref);
    return Resolve(doc.at(ptr));
  }

  Status AddOperation(const std::string& path, const std::string& method, const json& op,
                      const json& path_params) {
    Op o;
    o.method = method;
    o.path_template = path;
    o.segments = Split(path);
    o.id = op.value("operationId", method + " " + path);
    const std::string where = method + " " + path;
    json params = json::array();
    for (const json& p : path_params) params.push_back(p);
    if (op.contains("parameters"))
      for (const json& p : op["parameters"]) params.push_back(p);
    for (const json& raw : params) {
      auto p = Resolve(raw);
      if (!p.ok()) return p.status().WithContext(where);
      Param x;
      x.name = p->value("name", "");
      x.in = p->value("in", "");
      x.required = p->value("required", false) || x.in == "path";
      json sch = p->value("schema", json::object());
      x.type = sch.value("type", "string");
      auto c = Compile(sch);
      if (!c.ok()) return c.status().WithContext(where + " parameter " + x.name);
      x.schema = *c;
      o.params.push_back(std::move(x));
    }
    if (op.contains("requestBody")) {
      auto rb = Resolve(op["requestBody"]);
      if (!rb.ok()) return rb.status().WithContext(where);
      o.body_required = rb->value("required", false);
      for (auto& [media, m] : (*rb)["content"].items()) {
        auto c = Compile(m.value("schema", json::object()));
        if (!c.ok()) return c.status().WithContext(where + " request body");
        o.body[media] = *c;
      }
    }
    if (op.contains("responses")) {
      for (auto& [code, raw] : op["responses"].items()) {
        auto r = Resolve(raw);
        if (!r.ok()) return r.status().WithContext(where + " response " + code);
        Response resp;
        if (r->contains("content"))
          for (auto& [media, m] : (*r)["content"].items()) {
            SchemaPtr s;
            if (m.contains("schema")) {
              auto c = Compile(m["schema"]);
              if (!c.ok()) return c.status().WithContext(where + " response " + code);
              s = *c;
            }
            resp.content[media] = s;
          }
        o.responses[code] = std::move(resp);
      }
    }
    ops.push_back(std::move(o));
    return Status::OK();
  }

  const Op* Match(const std::string& method, const std::string& path,
                  std::map<std::string, std::string>* path_params) const {
    std::vector<std::string> segs = Split(path);
    for (const Op& o : ops) {
      if (o.method != method || o.segments.size() != segs.size()) continue;
      std::map<std::string, std::string> found;
      bool ok = true;
      for (size_t i = 0; i < segs.size() && ok; ++i) {
        const std::string& t = o.segments[i];
        if (t.size() > 2 && t.front() == '{' && t.back() == '}') {
          if (segs[i].empty())
            ok = false;
          else
            found[t.substr(1, t.size() - 2)] = segs[i];
        } else {
          ok = t == segs[i];
        }
      }
      if (ok) {
        if (path_params) *path_params = std::move(found);
        return &o;
      }
    }
    return nullptr;
  }
};

namespace {

// valijson reports a missing property at its parent; point at the property itself, as a client
// fixing the request wants.
void AddViolations(std::vector<ContractViolation>& out,
                   const std::vector<schema::Violation>& found) {
  static const std::regex kMissing("^Missing required property '([^']+)'\\.?$");
  for (const auto& v : found) {
    std::string path = v.path == "/" ? "" : v.path;
    std::smatch m;
    if (std::regex_match(v.message, m, kMissing)) path += "/" + m[1].str();
    out.push_back({path.empty() ? "/" : path, v.message});
  }
}

// A parameter's text as the JSON value its schema expects; nullopt when it cannot be.
std::optional<json> Typed(const std::string& type, const std::string& text) {
  if (type == "integer") {
    static const std::regex kInt("^[-+]?[0-9]{1,18}$");
    if (!std::regex_match(text, kInt)) return std::nullopt;
    return json(std::stoll(text));
  }
  if (type == "number") {
    char* end = nullptr;
    double d = std::strtod(text.c_str(), &end);
    if (text.empty() || *end) return std::nullopt;
    return json(d);
  }
  if (type == "boolean") {
    if (text == "true") return json(true);
    if (text == "false") return json(false);
    return std::nullopt;
  }
  return json(text);
}

// Compares media types without parameters and case.
std::string Media(const std::string& content_type) {
  return Lower(content_type.substr(0, content_type.find(';')));
}

}  // namespace

OpenApiContract::OpenApiContract(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OpenApiContract::~OpenApiContract() = default;

Result<json> YamlToJson(const std::string& text) {
  try {
    return FromYaml(YAML::Load(text));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("not valid YAML: " + std::string(e.what()));
  }
}

Result<std::shared_ptr<const OpenApiContract>> OpenApiContract::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read the OpenAPI document " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto c = Parse(ss.str());
  if (!c.ok()) return c.status().WithContext(path);
  return c;
}

Result<std::shared_ptr<const OpenApiContract>> OpenApiContract::Parse(const std::string& text) {
  auto doc = YamlToJson(text);
  if (!doc.ok()) return doc.status();
  auto impl = std::make_unique<Impl>();
  impl->doc = std::move(*doc);
  const json& d = impl->doc;
  if (!d.is_object() || !d.contains("openapi") || !d["openapi"].is_string() ||
      d["openapi"].get<std::string>().rfind("3.0", 0) != 0)
    return Status::InvalidArgument("not an OpenAPI 3.0 document (\"openapi\": \"3.0.x\")");
  impl->definitions = json::object();
  if (d.contains("components") && d["components"].contains("schemas"))
    impl->definitions = ConvertMap(d["components"]["schemas"]);
  for (auto& [name, s] : impl->definitions.items()) {
    json root = {{"$ref", "#/definitions/" + name}, {"definitions", impl->definitions}};
    auto c = JsonSchema::Compile(root);
    if (!c.ok()) return c.status().WithContext("components.schemas." + name);
    impl->named[name] = *c;
  }
  if (!d.contains("paths") || !d["paths"].is_object())
    return Status::InvalidArgument("the document has no \"paths\"");
  for (auto& [path, item] : d["paths"].items()) {
    json path_params = item.value("parameters", json::array());
    for (const char* m : {"get", "put", "post", "delete", "patch", "head", "options"}) {
      if (!item.contains(m)) continue;
      std::string method = m;
      for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      SENDSYNC_RETURN_IF_ERROR(impl->AddOperation(path, method, item[m], path_params));
    }
  }
  return std::shared_ptr<const OpenApiContract>(new OpenApiContract(std::move(impl)));
}

const json& OpenApiContract::document() const {
  return impl_->doc;
}

std::optional<OpenApiContract::Operation> OpenApiContract::Find(const std::string& method,
                                                                const std::string& path) const {
  Operation out;
  const Op* op = impl_->Match(method, path, &out.path_params);
  if (!op) return std::nullopt;
  out.id = op->id;
  return out;
}

std::vector<ContractViolation> OpenApiContract::CheckRequest(const HttpExchange& rq) const {
  std::vector<ContractViolation> out;
  std::map<std::string, std::string> path_params;
  const Op* op = impl_->Match(rq.method, rq.path, &path_params);
  if (!op) {
    out.push_back({"", "no operation " + rq.method + " " + rq.path + " in the document"});
    return out;
  }
  for (const Param& p : op->params) {
    const std::string where = p.in + "." + p.name;
    std::optional<std::string> text;
    if (p.in == "path") {
      auto it = path_params.find(p.name);
      if (it != path_params.end()) text = it->second;
    } else if (p.in == "query") {
      auto it = rq.query.find(p.name);
      if (it != rq.query.end()) text = it->second;
    } else if (p.in == "header") {
      auto it = rq.headers.find(Lower(p.name));
      if (it != rq.headers.end()) text = it->second;
    } else {
      continue;  // cookies are not used
    }
    if (!text) {
      if (p.required) out.push_back({where, "is required"});
      continue;
    }
    std::optional<json> v = Typed(p.type, *text);
    if (!v) {
      out.push_back({where, "must be " + std::string(p.type == "integer" ? "an " : "a ") + p.type});
      continue;
    }
    for (const auto& x : p.schema->Validate(*v)) out.push_back({where, x.message});
  }
  if (op->body.empty()) {
    if (!rq.body.empty()) out.push_back({"", "this operation takes no request body"});
    return out;
  }
  if (rq.body.empty()) {
    if (op->body_required) out.push_back({"", "a request body is required"});
    return out;
  }
  auto it = op->body.find(Media(rq.content_type));
  if (it == op->body.end()) {
    out.push_back({"header.Content-Type", "media type '" + rq.content_type + "' is not accepted"});
    return out;
  }
  json body = json::parse(rq.body, nullptr, false);
  if (body.is_discarded()) {
    out.push_back({"", "the body is not valid JSON"});
    return out;
  }
  AddViolations(out, it->second->Validate(body));
  return out;
}

std::vector<ContractViolation> OpenApiContract::CheckResponse(const std::string& method,
                                                              const std::string& path,
                                                              const HttpExchange& rs) const {
  std::vector<ContractViolation> out;
  const Op* op = impl_->Match(method, path, nullptr);
  if (!op) {
    out.push_back({"", "no operation " + method + " " + path + " in the document"});
    return out;
  }
  auto r = op->responses.find(std::to_string(rs.status));
  if (r == op->responses.end()) r = op->responses.find("default");
  if (r == op->responses.end()) {
    out.push_back({"", "status " + std::to_string(rs.status) + " is not documented for " + op->id});
    return out;
  }
  if (r->second.content.empty()) {
    if (!rs.body.empty()) out.push_back({"", "this response has no documented body"});
    return out;
  }
  auto c = r->second.content.find(Media(rs.content_type));
  if (c == r->second.content.end()) {
    out.push_back({"header.Content-Type", "media type '" + rs.content_type +
                                              "' is not documented for status " +
                                              std::to_string(rs.status)});
    return out;
  }
  if (!c->second) return out;
  json body = json::parse(rs.body, nullptr, false);
  if (body.is_discarded()) {
    out.push_back({"", "the body is not valid JSON"});
    return out;
  }
  AddViolations(out, c->second->Validate(body));
  return out;
}

std::vector<ContractViolation> OpenApiContract::CheckSchema(const std::string& name,
                                                            const json& value) const {
  std::vector<ContractViolation> out;
  auto it = impl_->named.find(name);
  if (it == impl_->named.end()) {
    out.push_back({"", "no schema '" + name + "' in components.schemas"});
    return out;
  }
  AddViolations(out, it->second->Validate(value));
  return out;
}

}  // namespace sendsync::sims
