// JSON Schema validation (draft 4/7 subset that valijson implements), for adapter configuration
// schemas and for checking API payloads against our OpenAPI documents. Compile once, validate many.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sendsync/sdk/status.h"

namespace sendsync::schema {

struct Violation {
  std::string path;     // JSON Pointer-like location in the document, e.g. "/changes/0/key"
  std::string message;  // what is wrong
};

class JsonSchema {
 public:
  // Compiles `schema`; the error says why it is not a usable schema.
  static Result<std::shared_ptr<const JsonSchema>> Compile(const nlohmann::json& schema);
  ~JsonSchema();

  // Every violation found (empty when valid).
  std::vector<Violation> Validate(const nlohmann::json& document) const;

 private:
  struct Impl;
  explicit JsonSchema(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sendsync::schema
