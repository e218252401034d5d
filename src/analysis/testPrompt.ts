/**
 * TransformerLens's test_prompt, returned as data: how the model ranks the answer after a prompt. The prompt and
 * the answer are tokenised together (the answer with a leading space unless asked otherwise); for each answer token
 * come its rank among the whole vocabulary, its logit and probability, and the top k tokens at that position. A
 * printable summary in TransformerLens's layout comes with it.
 */
import type { HookedTransformer } from "../model/hookedTransformer";
import { describeValue } from "../model/hooks";
import { tf } from "../tensor";

/** Options of testPrompt. */
export interface TestPromptOptions {
  /** How many of the most likely tokens to list per answer token (default 10). */
  topK?: number;
  /** Put a space before the answer when it has none (default true, as TransformerLens). */
  prependSpaceToAnswer?: boolean;
  /** Prepend BOS to the prompt (default: the model's cfg.defaultPrependBos). */
  prependBos?: boolean;
}

/** One token's id, text, logit and probability at one position. */
export interface TokenScore {
  id: number;
  token: string;
  logit: number;
  prob: number;
}

/** How the model scored one answer token: its rank (0 = the most likely), logit, probability, and the top k. */
export interface AnswerTokenScore extends TokenScore {
  /** The position of the answer token in `tokens` (its prediction is read at position − 1). */
  position: number;
  /** How many tokens have a higher logit at that position (0: the model's top prediction). */
  rank: number;
  /** The topK most likely tokens there, most likely first. */
  top: TokenScore[];
}

/** What testPrompt found. */
export interface TestPromptResult {
  /** The token strings of prompt + answer, as run. */
  strTokens: string[];
  /** The number of prompt tokens (BOS included): the answer starts at this position. */
  promptLength: number;
  /** One entry per answer token, in order. */
  answer: AnswerTokenScore[];
  /** TransformerLens's printout: the tokens, each answer token's rank, logit and probability, and the top k. */
  summary: string;
}

/** "12.34%" of a probability. */
function percent(p: number): string {
  return `${(100 * p).toFixed(2)}%`;
}

/**
 * Runs `prompt` followed by `answer` through `model` and scores each answer token (TransformerLens's test_prompt,
 * as data; print `result.summary` for its printout). Leaves no tensors behind.
 */
export function testPrompt(
  model: HookedTransformer,
  prompt: string,
  answer: string,
  options: TestPromptOptions = {},
): TestPromptResult {
  if (typeof prompt !== "string") throw new Error(`testPrompt's prompt must be a text, got ${describeValue(prompt)}`);
  if (typeof answer !== "string" || answer.trim() === "")
    throw new Error(`testPrompt's answer must be a non-empty text, got ${describeValue(answer)}`);
  const { topK = 10, prependSpaceToAnswer = true, prependBos } = options;
  const dVocab = model.cfg.dVocab;
  if (!Number.isSafeInteger(topK) || topK < 1 || topK > dVocab)
    throw new Error(`testPrompt option topK must be an integer in 1…${dVocab}, got ${describeValue(topK)}`);
  const fullAnswer = prependSpaceToAnswer && !answer.startsWith(" ") ? ` ${answer}` : answer;
  const promptLength = model.toStrTokens(prompt, { prependBos }).length;
  const strTokens = model.toStrTokens(prompt + fullAnswer, { prependBos });
  if (strTokens.length <= promptLength)
    throw new Error(`testPrompt: the answer ${JSON.stringify(fullAnswer)} adds no token to the prompt`);
  const tokens = model.toTokens(prompt + fullAnswer, { prependBos }); // [1, pos]
  const ids = tokens.arraySync()[0];
  // Outside tf.tidy: a model's first forward builds weights it keeps, which a surrounding tidy would free.
  const allLogits = model.forward(tokens); // [1, pos, d_vocab (padded)]
  tokens.dispose();
  const { logitRows, probRows } = tf.tidy(() => {
    const answerLength = ids.length - promptLength;
    const logits = allLogits.slice([0, promptLength - 1, 0], [1, answerLength, dVocab]); // [1, answer, d_vocab]
    const rows = logits.reshape([answerLength, dVocab]); // [answer, d_vocab]: row i predicts answer token i
    return { logitRows: rows.arraySync() as number[][], probRows: tf.softmax(rows).arraySync() as number[][] };
  });
  allLogits.dispose();
  const scoreOf = (at: number, id: number): TokenScore => ({
    id,
    token: model.toStrTokens([id])[0],
    logit: logitRows[at][id],
    prob: probRows[at][id],
  });
  const answerScores = strTokens.slice(promptLength).map((_, i): AnswerTokenScore => {
    const position = promptLength + i;
    const id = ids[position];
    const logits = logitRows[i];
    const rank = logits.reduce((above, value) => above + (value > logits[id] ? 1 : 0), 0);
    const order = logits.map((_, j) => j).sort((a, b) => logits[b] - logits[a] || a - b);
    return { ...scoreOf(i, id), position, rank, top: order.slice(0, topK).map((j) => scoreOf(i, j)) };
  });
  return { strTokens, promptLength, answer: answerScores, summary: summarise(strTokens, promptLength, answerScores) };
}

/** TransformerLens's test_prompt printout of a result. */
function summarise(strTokens: string[], promptLength: number, answer: AnswerTokenScore[]): string {
  const quoted = (tokens: string[]) => `[${tokens.map((t) => `'${t}'`).join(", ")}]`;
  const lines = [
    `Tokenized prompt: ${quoted(strTokens.slice(0, promptLength))}`,
    `Tokenized answer: ${quoted(strTokens.slice(promptLength))}`,
  ];
  const row = (s: TokenScore) =>
    `Logit: ${s.logit.toFixed(2).padStart(5)} Prob: ${percent(s.prob).padStart(6)} Token: |${s.token}|`;
  for (const a of answer) {
    lines.push("Performance on answer token:", `Rank: ${String(a.rank).padEnd(8)} ${row(a)}`);
    a.top.forEach((s, k) => lines.push(`Top ${k}th token. ${row(s)}`));
  }
  lines.push(`Ranks of the answer tokens: [${answer.map((a) => `('${a.token}', ${a.rank})`).join(", ")}]`);
  return lines.join("\n");
}
