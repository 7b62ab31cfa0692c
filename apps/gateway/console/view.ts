/**
 * Preact's markup as tagged templates (htm). Named `view`, not `html`: Prettier formats templates tagged
 * `html` as HTML, which moves words and elements onto new lines freely, but htm drops whitespace that holds a
 * newline (where HTML keeps a space), so that formatting would glue words together. Write a space that must
 * stay at the end or start of a line as `${' '}`.
 */
import { html, render } from 'htm/preact';

export const view = html;
export { render };
