// An OpenAPI 3.0 document turned into checks: which operation a request is for, and whether the
// request (parameters and JSON body) and a response (status, content type, JSON body) keep to the
// document. Used by the LA portal simulator on every exchange and by contract tests; not part of
// the product.
//
// How the document becomes JSON Schema: the YAML is read with yaml-cpp (quoted scalars stay
// strings, plain ones become numbers, booleans or null as YAML 1.2 core says), and each OpenAPI
// schema object is made a draft-4 JSON Schema for valijson: components.schemas become
// "definitions" with their $refs rewritten, `nullable: true` adds "null" to the type, and the
// OpenAPI-only keywords (example, readOnly, writeOnly, discriminator, xml, externalDocs,
// deprecated) are dropped. Everything else is already draft 4 in OpenAPI 3.0. Query, path and
// header parameter values arrive as text and are converted to the parameter's declared type first.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sendsync/sdk/status.h"

namespace sendsync::sims {

// One thing that does not keep to the document. `path` is a JSON Pointer into the body, or
// "<in>.<name>" for a parameter ("header.Idempotency-Key"), or "" for the exchange as a whole.
struct ContractViolation {
  std::string path;
  std::string message;
};

// A request or response as seen on the wire.
struct HttpExchange {
  std::string method;                          // upper case
  std::string path;                            // without the query, percent-decoded
  std::map<std::string, std::string> query;    // decoded query parameters
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string content_type;                    // without parameters
  std::string body;
  int status = 0;  // responses only
};

class OpenApiContract {
 public:
  // Reads and compiles the document; the error says what is wrong and where.
  static Result<std::shared_ptr<const OpenApiContract>> Load(const std::string& yaml_path);
  static Result<std::shared_ptr<const OpenApiContract>> Parse(const std::string& yaml_text);
  ~OpenApiContract();

  // The document as JSON (after YAML conversion, before any rewriting).
  const nlohmann::json& document() const;

  // The operation a method and path belong to: its operationId and the path parameters.
  struct Operation {
    std::string id;
    std::map<std::string, std::string> path_params;
  };
  std::optional<Operation> Find(const std::string& method, const std::string& path) const;

  // Violations of the request's parameters and body (empty when it keeps to the document).
  std::vector<ContractViolation> CheckRequest(const HttpExchange& request) const;
  // Violations of a response to `method path` (status documented, content type, body schema).
  std::vector<ContractViolation> CheckResponse(const std::string& method, const std::string& path,
                                               const HttpExchange& response) const;

  // Validates `value` against components.schemas.<name> (for tests of single objects).
  std::vector<ContractViolation> CheckSchema(const std::string& name,
                                             const nlohmann::json& value) const;

  struct Impl;

 private:
  explicit OpenApiContract(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Converts YAML text to JSON (exposed for tests). InvalidArgument with the line on bad YAML.
Result<nlohmann::json> YamlToJson(const std::string& yaml_text);

}  // namespace sendsync::sims
