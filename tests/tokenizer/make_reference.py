#!/usr/bin/env python3
"""Regenerate the committed tokenizer test data in tests/tokenizer/data/.

The data is produced by the real Hugging Face libraries so that the
TypeScript wrapper in src/tokenizer can be checked against them.  CI only
reads the committed files; run this by hand when the data must change:

    python3 -m venv /tmp/tokvenv
    /tmp/tokvenv/bin/pip install tokenizers transformers
    /tmp/tokvenv/bin/python tests/tokenizer/make_reference.py

It (1) trains a small byte-level BPE tokenizer (vocab ~500) on the text in
CORPUS below (written for this project, MIT like the rest of the repo) and
saves it twice: as tokenizer.json + tokenizer_config.json (data/bpe-small/)
and as GPT-2 style vocab.json + merges.txt (data/bpe-small-vocab-merges/);
(2) writes data/reference.json with what Hugging Face produces for
CASES on both folders: ids with no special tokens added, each token decoded
on its own (TransformerLens's to_str_tokens), the full decode, and padded
batches as TransformerLens builds them.
"""

import json
import os
import shutil
import subprocess
import tempfile

import tokenizers
import transformers
from tokenizers import Tokenizer
from tokenizers.implementations import ByteLevelBPETokenizer
from transformers import AutoTokenizer, GPT2Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
JSON_DIR = os.path.join(DATA, "bpe-small")
VM_DIR = os.path.join(DATA, "bpe-small-vocab-merges")
EOT = "<|endoftext|>"
VOCAB_SIZE = 500

CORPUS = [
    """The lighthouse on the northern cape was kept by a woman who counted
ships the way other people count sheep. Every evening she climbed the one
hundred and twelve steps, wound the clockwork, trimmed the wick and wrote
the weather into a ledger bound in green cloth. The ledger said little:
wind from the west, sea calm, two trawlers and a ferry. Yet read from the
first page to the last it told the story of the town below, the boats
that came home and the boats that did not.""",
    """In the winter the harbour froze at its edges and the children walked
out on the ice to look at the fish beneath it. Their parents shouted from
the quay, and the children came back, laughing, with cold hands and wet
boots. The keeper watched them through her telescope and wrote nothing
about it, because the ledger was for ships and weather, not for children.""",
    """A café opened by the station the year the railway arrived. Its owner
served crêpes, strong coffee and a soup that changed with the season. The
fishermen said the coffee was too strong and drank it anyway; the résumé
of the town's news was written each morning on a slate beside the door.""",
    """def count_ships(ledger, day):
    \"\"\"Return how many ships were seen on the given day.\"\"\"
    total = 0
    for entry in ledger:
        if entry.day == day and entry.kind == "ship":
            total += 1
    return total

function windFrom(entry: Entry): string {
  const names = ["north", "east", "south", "west"];
  return names[Math.round(entry.bearing / 90) % 4];
}
""",
    """Numbers matter to a keeper: 112 steps, 3 lamps, 24 hours, 365 days.
She measured the oil in litres, 1.5 each night, and the height of the tide
in metres. When the new electric lamp came in 1952 she wrote: light is
light, whatever feeds it. Then she went on counting.""",
]

# Strings whose encodings are recorded; keep in step with the mocha tests.
CASES = [
    "Hello world",
    "The keeper counted the ships in the harbour.",
    " leading space",
    "trailing space ",
    "  several   spaces\tand a tab  ",
    "line one\nline two\n\nline four\r\n",
    "café crêpes résumé naïve Ærø",
    "中文分词测试",
    "emoji 😀🎉 👍🏽 family 👨‍👩‍👧!",
    EOT,
    "Before" + EOT + "after " + EOT + " spaced",
    "<|endoftext|",
    "<img src=x onerror=alert(1)>",
    "<script>alert('x')</script>&amp;&lt;",
    "def add(a, b):\n    return a + b  # sum\n",
    "It's, they're, we've, I'll, she'd, don't",
    "Numbers 1234567890, 3.14159 and -42",
    "",
    " ",
    "nbsp\u00a0and\u2003em\u3000ideographic",
    "nul\u0000 and bell\u0007 and del\u007f",
    # Oniguruma's \s (Rust) is Unicode White_Space: U+0085 is, U+FEFF is not.
    "bom\ufeff's nel\u0085\u0085x  \u0085y",
]

# Batches built the way TransformerLens's to_tokens does.
BATCH_TEXTS = ["Hello world", "", " leading space and more words", "中文"]


def train():
    tok = ByteLevelBPETokenizer(add_prefix_space=False)
    tok.train_from_iterator(CORPUS, vocab_size=VOCAB_SIZE, min_frequency=1, special_tokens=[EOT])
    return tok


def save_folders(tok):
    for d in (JSON_DIR, VM_DIR):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    # tokenizer.json + tokenizer_config.json as transformers saves them.
    fast = GPT2Tokenizer(
        tokenizer_object=tok._tokenizer,
        bos_token=EOT,
        eos_token=EOT,
        unk_token=EOT,
        add_prefix_space=False,
        model_max_length=1024,
    )
    with tempfile.TemporaryDirectory() as tmp:
        fast.save_pretrained(tmp)
        for name in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copy(os.path.join(tmp, name), os.path.join(JSON_DIR, name))
    # GPT-2 style vocab.json + merges.txt.
    tok._tokenizer.model.save(VM_DIR)


def per_case(hf, raw):
    """Encodings of CASES by a transformers tokenizer, checked against the raw tokenizers one."""
    out = []
    for text in CASES:
        ids = hf.encode(text, add_special_tokens=False)
        if raw is not None:
            raw_ids = raw.encode(text, add_special_tokens=False).ids
            assert raw_ids == ids, (text, raw_ids, ids)
        str_tokens = [hf.decode([i], skip_special_tokens=False, clean_up_tokenization_spaces=False) for i in ids]
        decoded = hf.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)
        if raw is not None:
            assert [raw.decode([i], skip_special_tokens=False) for i in ids] == str_tokens, text
            assert raw.decode(ids, skip_special_tokens=False) == decoded, text
        out.append(
            {
                "text": text,
                "ids": ids,
                "tokens": hf.convert_ids_to_tokens(ids),
                "str_tokens": str_tokens,
                "decoded": decoded,
            }
        )
    return out


def batches(hf):
    """Padded batches as TransformerLens makes them: pad falls back to eos, BOS prepended as text."""
    hf.pad_token = hf.pad_token or hf.eos_token
    out = []
    for prepend_bos in (False, True):
        for side in ("right", "left"):
            hf.padding_side = side
            texts = [hf.bos_token + t for t in BATCH_TEXTS] if prepend_bos else BATCH_TEXTS
            enc = hf(texts, padding=True, add_special_tokens=False)
            out.append(
                {
                    "prepend_bos": prepend_bos,
                    "padding_side": side,
                    "texts": BATCH_TEXTS,
                    "input_ids": enc["input_ids"],
                    "attention_mask": enc["attention_mask"],
                }
            )
    return out


def describe(hf):
    return {
        "vocab_size": len(hf),
        "bos_token_id": hf.bos_token_id,
        "eos_token_id": hf.eos_token_id,
        "pad_token_id": hf.pad_token_id,
        "unk_token_id": hf.unk_token_id,
        "cases": per_case(hf, None),
    }


def prettier():
    """Format the JSON files as the repo's `prettier --check` expects (content unchanged)."""
    repo = os.path.dirname(os.path.dirname(HERE))
    try:
        subprocess.run(["npx", "prettier", "--write", os.path.relpath(DATA, repo)], cwd=repo, check=True)
    except (OSError, subprocess.CalledProcessError) as err:
        print("warning: prettier did not run:", err)


def main():
    save_folders(train())
    raw = Tokenizer.from_file(os.path.join(JSON_DIR, "tokenizer.json"))
    from_json = AutoTokenizer.from_pretrained(JSON_DIR)
    from_vm = GPT2Tokenizer.from_pretrained(VM_DIR)

    flavours = {}
    for name, hf in (("bpe-small", from_json), ("bpe-small-vocab-merges", from_vm)):
        entry = describe(hf)
        entry["cases"] = per_case(hf, raw)
        entry["batches"] = batches(hf)
        flavours[name] = entry

    ref = {
        "generator": "tests/tokenizer/make_reference.py",
        "versions": {"tokenizers": tokenizers.__version__, "transformers": transformers.__version__},
        "flavours": flavours,
    }
    with open(os.path.join(DATA, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(ref, f, ensure_ascii=False, indent=1)
        f.write("\n")
    prettier()
    for name, entry in flavours.items():
        print(name, "vocab", entry["vocab_size"], "bos", entry["bos_token_id"], "pad", entry["pad_token_id"])


if __name__ == "__main__":
    main()
