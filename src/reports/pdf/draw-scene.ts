/** A chart's scene (charts/scene.ts) drawn straight onto the pdfkit page: vector shapes and the embedded fonts. */
import { layoutFigure, type Scene } from '../charts/scene.js';
import type { Figure } from '../charts/figure.js';

type Doc = PDFKit.PDFDocument;

/** Lays the figure out with the document's own font metrics. */
export function figureScene(doc: Doc, figure: Figure): Scene {
  return layoutFigure(figure, (text, size, bold) => doc.font(bold ? 'bold' : 'regular').fontSize(size).widthOfString(text));
}

export function drawScene(doc: Doc, scene: Scene, x: number, y: number, scale: number): void {
  doc.save();
  doc.translate(x, y).scale(scale);
  for (const i of scene.items) {
    if (i.t === 'rect') doc.rect(i.x, i.y, i.w, i.h).fill(i.fill);
    else if (i.t === 'dot') doc.circle(i.x, i.y, i.r).fill(i.fill);
    else if (i.t === 'line') {
      const [first, ...rest] = i.points;
      doc.moveTo(first![0], first![1]);
      for (const [px, py] of rest) doc.lineTo(px, py);
      if (i.dash) doc.dash(i.dash[0], { space: i.dash[1] });
      doc.lineWidth(i.width).strokeColor(i.stroke).stroke();
      if (i.dash) doc.undash();
    } else {
      doc.font(i.bold ? 'bold' : 'regular').fontSize(i.size).fillColor(i.color);
      const w = i.anchor === 'start' ? 0 : doc.widthOfString(i.text);
      const dx = i.anchor === 'middle' ? -w / 2 : i.anchor === 'end' ? -w : 0;
      if (i.vertical) {
        doc.save().rotate(-90, { origin: [i.x, i.y] });
        doc.text(i.text, i.x + dx, i.y, { lineBreak: false, baseline: 'alphabetic' });
        doc.restore();
      } else doc.text(i.text, i.x + dx, i.y, { lineBreak: false, baseline: 'alphabetic' });
    }
  }
  doc.restore();
}
