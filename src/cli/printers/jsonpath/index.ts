/** kubectl's JSONPath templates: `-o jsonpath=…`, `-o custom-columns=…` and `--sort-by`. */
export { JsonPathTemplate, evalPath, text as jsonPathText } from './eval.js';
export { JsonPathError, parsePath, parseTemplate, relaxedTemplate, type Path, type TemplateNode } from './parse.js';
