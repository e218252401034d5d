#!/usr/bin/env python3
"""Regenerate tests/tokenizer/data/sentencepiece-str-tokens.json: how single tokens of a SentencePiece-style
tokenizer (the fixture tests/fixtures/models/llama-tiny-tokenizer, byte-fallback BPE with "▁" for spaces) read.

For each text it records, from the real libraries:
  ids               tokenizers.Tokenizer.from_file(tokenizer.json).encode(text, add_special_tokens=False), after <s>
  pieces            the vocabulary strings of those ids
  tl_str_tokens     TransformerLens 3.9's to_str_tokens of those ids (Hugging Face decode of each id on its own:
                    the decoder's Strip step drops each token's leading space, so "▁" reads "" and "▁a" reads "a")
  spaced_str_tokens decode of each id on its own by the same tokenizer.json with its decoder's Strip(" ", start 1)
                    step set to start 0: what tslens's toStrTokens shows ("▁" reads " ", "▁a" reads " a")
  tl_to_string      TransformerLens's to_string of all the ids (decoding a whole sequence is unchanged)

CI only reads the committed file. Run by hand (a venv with requirements-fixtures.txt installed):
    .venv-fixtures/bin/python tests/tokenizer/make_sentencepiece_reference.py
"""

import json
import os

import tokenizers
import torch
import transformer_lens
import transformers
from tokenizers import Tokenizer
from transformer_lens import HookedTransformer, HookedTransformerConfig
from transformers import AutoTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FOLDER = os.path.join(ROOT, "tests", "fixtures", "models", "llama-tiny-tokenizer")
OUT = os.path.join(HERE, "data", "sentencepiece-str-tokens.json")
TEXTS = [" Lily", "Lily", "Hello world", " a  b", "x\n y", "naïve café", "日本", "</s> x<s>"]


def spaced_tokenizer(tokenizer_json: dict) -> Tokenizer:
    """The tokenizer with every Strip(" ", start > 0) decoder step made to strip nothing at the start."""
    def unstrip(decoder: dict) -> dict:
        if decoder.get("type") == "Strip" and decoder.get("content") == " ":
            return {**decoder, "start": 0}
        if decoder.get("type") == "Sequence":
            return {**decoder, "decoders": [unstrip(d) for d in decoder["decoders"]]}
        return decoder
    spaced = {**tokenizer_json, "decoder": unstrip(tokenizer_json["decoder"])}
    assert spaced["decoder"] != tokenizer_json["decoder"], "the fixture decoder has no Strip step"
    return Tokenizer.from_str(json.dumps(spaced))


def main() -> None:
    path = os.path.join(FOLDER, "tokenizer.json")
    with open(path, encoding="utf8") as f:
        tokenizer_json = json.load(f)
    raw = Tokenizer.from_file(path)
    spaced = spaced_tokenizer(tokenizer_json)
    hf = AutoTokenizer.from_pretrained(FOLDER)
    cfg = HookedTransformerConfig(n_layers=1, d_model=8, d_head=4, n_heads=2, d_mlp=16, n_ctx=64,
                                  d_vocab=hf.vocab_size, act_fn="silu", normalization_type="RMS",
                                  positional_embedding_type="rotary", rotary_dim=4)
    tl_model = HookedTransformer(cfg, tokenizer=hf)  # random weights: only its tokenizer methods are used
    bos = raw.token_to_id("<s>")
    cases = []
    for text in TEXTS:
        ids = [bos] + raw.encode(text, add_special_tokens=False).ids
        tl = tl_model.to_str_tokens(torch.tensor(ids))
        assert tl == [hf.decode([i], clean_up_tokenization_spaces=False) for i in ids], text
        cases.append({
            "text": text,
            "ids": ids,
            "pieces": [raw.id_to_token(i) for i in ids],
            "tl_str_tokens": tl,
            "spaced_str_tokens": [spaced.decode([i], skip_special_tokens=False) for i in ids],
            "tl_to_string": tl_model.to_string(torch.tensor(ids)),
        })
    out = {
        "generator": "tests/tokenizer/make_sentencepiece_reference.py",
        "tokenizer": "tests/fixtures/models/llama-tiny-tokenizer/tokenizer.json",
        "versions": {"tokenizers": tokenizers.__version__, "transformers": transformers.__version__,
                     "transformer_lens": getattr(transformer_lens, "__version__", "3.9.0"), "torch": torch.__version__},
        "cases": cases,
    }
    with open(OUT, "w", encoding="utf8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {OUT}: {len(cases)} texts")


if __name__ == "__main__":
    main()
