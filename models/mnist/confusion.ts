/** Accuracy and the confusion matrix of class probabilities against labels. */

/** `matrix[label][predicted]` counts, with the accuracy. */
export interface Confusion {
  readonly matrix: number[][];
  readonly correct: number;
  readonly total: number;
  readonly accuracy: number;
}

/** Index of the largest of `width` values from `offset`. */
export function argmax(values: ArrayLike<number>, offset = 0, width = values.length): number {
  let best = 0;
  for (let k = 1; k < width; k++) if (values[offset + k]! > values[offset + best]!) best = k;
  return best;
}

/** `probabilities` is [labels.length, classes] row-major. */
export function confusion(probabilities: ArrayLike<number>, labels: ArrayLike<number>, classes = 10): Confusion {
  if (probabilities.length !== labels.length * classes) {
    throw new Error(`confusion: ${probabilities.length} probabilities for ${labels.length} labels of ${classes} classes; expected ${labels.length * classes}`);
  }
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    const predicted = argmax(probabilities, i * classes, classes);
    matrix[labels[i]!]![predicted]!++;
    if (predicted === labels[i]) correct++;
  }
  return { matrix, correct, total: labels.length, accuracy: correct / labels.length };
}

/** Rows: the true digit; columns: the prediction; the last column: the recall of each digit. */
export function formatConfusion(c: Confusion): string {
  const width = Math.max(4, String(Math.max(...c.matrix.flat())).length + 1);
  const cell = (s: string | number) => String(s).padStart(width);
  const lines = [`true\\pred${c.matrix.map((_, j) => cell(j)).join('')}   recall`];
  c.matrix.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    lines.push(`${String(i).padStart(9)}${row.map(cell).join('')}   ${total ? ((100 * row[i]!) / total).toFixed(1).padStart(5) : '    -'}%`);
  });
  return lines.join('\n');
}
