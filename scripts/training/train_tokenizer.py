"""Trains the embedded models' tokenizer: a GPT-2-style byte-level BPE on the corpus.

    .venv-fixtures/bin/python scripts/training/train_tokenizer.py CORPUS OUT_DIR [VOCAB_SIZE]

Uses Hugging Face `tokenizers` (the Rust library behind transformers' fast tokenizers), so the
result is a standard tokenizer.json. Id 0 is <|endoftext|> (BOS/EOS); ids 1-256 are the 256 bytes,
so any text round-trips; the rest are merges learnt from the corpus. Deterministic for a given
corpus and tokenizers version.
"""
import json
import sys
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

END_OF_TEXT = "<|endoftext|>"


def main(corpus: str, out_dir: str, vocab_size: int = 4096) -> None:
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=[END_OF_TEXT],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    text = Path(corpus).read_text(encoding="utf-8")
    # One "document" per source file keeps merges from spanning file boundaries.
    documents = (chunk for chunk in text.split("\n\n\n") if chunk)
    tokenizer.train_from_iterator(documents, trainer=trainer)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(out / "tokenizer.json"))
    config = {
        "bos_token": END_OF_TEXT,
        "eos_token": END_OF_TEXT,
        "unk_token": END_OF_TEXT,
        "add_bos_token": True,
        "model_max_length": 256,
        "tokenizer_class": "GPT2Tokenizer",
    }
    (out / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    sample = "def __init__(self, name):\n    self.name = name\n"
    ids = tokenizer.encode(sample).ids
    assert tokenizer.decode(ids) == sample, "round trip failed"
    print(f"vocab {tokenizer.get_vocab_size()}: {len(sample)} bytes -> {len(ids)} tokens in the sample")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], *(int(a) for a in sys.argv[3:]))
