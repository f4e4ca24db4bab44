package web

import _ "embed"

// openapiDoc is the OpenAPI 3 description of /api/v1, kept true by
// TestOpenAPICoversEveryRoute.
//
//go:embed openapi.json
var openapiDoc []byte
