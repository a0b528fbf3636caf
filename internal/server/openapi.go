package server

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

// openapiJSON is the OpenAPI 3.1 description of the routes of Server.table
// (a test checks that they match, with an OpenAPI library of its own).
//
//go:embed openapi.json
var openapiJSON []byte

// openAPI returns the description with its server URL set to the base
// path.
func openAPI(base string) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(openapiJSON, &doc); err != nil {
		return nil, fmt.Errorf("the embedded OpenAPI description is not JSON: %w", err)
	}
	url := base
	if url == "" {
		url = "/"
	}
	doc["servers"] = []any{map[string]any{"url": url}}
	return json.MarshalIndent(doc, "", "  ")
}
