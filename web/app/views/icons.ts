/**
 * @module web/views/icons
 * The few inline SVG icons the app uses (built with DOM calls, no innerHTML).
 */
const SVG = "http://www.w3.org/2000/svg";

function svg(viewBox: string, paths: string[], label?: string): SVGSVGElement {
  const root = document.createElementNS(SVG, "svg");
  root.setAttribute("viewBox", viewBox);
  root.setAttribute("class", "icon");
  if (label) root.setAttribute("aria-label", label);
  else root.setAttribute("aria-hidden", "true");
  for (const d of paths) {
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    root.appendChild(path);
  }
  return root;
}

export const logo = () => svg("0 0 32 32", ["M6 6h20a2 2 0 0 1 2 2v13a2 2 0 0 1-2 2H14l-6 5v-5H6a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2z"]);
export const hash = () => svg("0 0 24 24", ["M5 9h14M5 15h14M10 4 8 20M16 4l-2 16"]);
export const plus = () => svg("0 0 24 24", ["M12 5v14M5 12h14"]);
export const menu = () => svg("0 0 24 24", ["M4 7h16M4 12h16M4 17h16"]);
export const people = () => svg("0 0 24 24", ["M9 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM3 19c0-3 3-5 6-5s6 2 6 5M17 11a2.5 2.5 0 1 0 0-5M17 14c2 0 4 1.5 4 4"]);
export const send = () => svg("0 0 24 24", ["M4 12 20 4l-6 16-3-7z"]);
export const close = () => svg("0 0 24 24", ["M6 6l12 12M18 6 6 18"]);
