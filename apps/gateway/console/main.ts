/** The console's entry: renders the app into the page the gateway serves at /console/. */
import { render, view } from './view.js';
import { App } from './app.js';

const root = document.getElementById('app');
if (root) render(view`<${App} />`, root);
