// apidocs.js renders the API's OpenAPI document at /docs with the vendored
// Swagger UI. A classic script, not a module: the bundle defines a global.
// The validator badge would fetch from a third-party host, which the
// connect-src policy refuses; it is switched off rather than allowed.
/* global SwaggerUIBundle */
window.addEventListener('DOMContentLoaded', () => {
  SwaggerUIBundle({
    url: '/v1/openapi.json',
    dom_id: '#apidocs',
    deepLinking: true,
    validatorUrl: null,
    docExpansion: 'list',
    defaultModelsExpandDepth: 0,
  });
});
