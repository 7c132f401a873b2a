// valijson is header-only and heavy; it is included here and nowhere else.
#include "base/schema/json_schema.h"

// Without this valijson aborts the process on a schema it cannot compile.
#define VALIJSON_USE_EXCEPTIONS 1
#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

namespace sendsync::schema {

struct JsonSchema::Impl {
  valijson::Schema schema;
};

JsonSchema::JsonSchema(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JsonSchema::~JsonSchema() = default;

Result<std::shared_ptr<const JsonSchema>> JsonSchema::Compile(const nlohmann::json& schema) {
  auto impl = std::make_unique<Impl>();
  try {
    valijson::SchemaParser parser;
    valijson::adapters::NlohmannJsonAdapter adapter(schema);
    parser.populateSchema(adapter, impl->schema);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("not a usable JSON Schema: ") + e.what());
  }
  return std::shared_ptr<const JsonSchema>(new JsonSchema(std::move(impl)));
}

std::vector<Violation> JsonSchema::Validate(const nlohmann::json& document) const {
  valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter adapter(document);
  std::vector<Violation> out;
  if (validator.validate(impl_->schema, adapter, &results)) return out;
  valijson::ValidationResults::Error e;
  while (results.popError(e)) {
    // valijson's context is like ["<root>", "[changes]", "[0]", "[key]"]; make it a pointer.
    std::string path;
    for (const std::string& c : e.context) {
      if (c == "<root>") continue;
      std::string part = c;
      if (part.size() >= 2 && part.front() == '[' && part.back() == ']')
        part = part.substr(1, part.size() - 2);
      if (part.size() >= 2 && part.front() == '"' && part.back() == '"')
        part = part.substr(1, part.size() - 2);
      path += "/" + part;
    }
    out.push_back({path.empty() ? "/" : path, e.description});
  }
  return out;
}

}  // namespace sendsync::schema
