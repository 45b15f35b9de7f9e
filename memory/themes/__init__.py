"""Thematic analysis: find the themes in a set of signals without being told how many there are.

Method (details and figures in docs/themes.md):

1. **Two views of each text.** The dense sentence embedding (cosine) plus a lexical TF-IDF view
   (word uni/bigrams and character 3-5-grams, stopwords kept: "why", "can't", "how" separate
   close intents). Similarity = dense cosine + ``LEXICAL_WEIGHT`` x lexical cosine, computed for
   the ``CANDIDATES`` nearest dense neighbours of each point only (cheap re-ranking).
2. **Shared-nearest-neighbour graph** over the ``NEIGHBOURS`` nearest points, edge weight = share
   of common neighbours, which discounts hubs and bridges between dense regions.
3. **Leiden community detection** at several resolutions; the resolution is chosen by an
   internal criterion only -- *stability*: the mean pairwise ARI between partitions of randomly
   edge-thinned copies of the graph. The most reproducible granularity wins; no gold labels and
   no target count are involved, so it transfers to unseen data.
4. Points left alone (no shared neighbours) join the theme of their nearest neighbour, so every
   point gets a label.

The report side (:func:`discover_themes`) finds keywords with class-based TF-IDF, labels each theme
with its best distinctive verbatim phrase (:func:`phrase_labels`), counts users, accounts, segments
and sentiment, computes a trend, and picks verbatim quotes near each centroid.

Modules (each imports only those above it): ``graph`` (clustering), ``louvain`` (the previous method,
for the bench), ``labels`` (keywords, phrase labels), ``report`` (themes and reports), ``incremental``
(assignment at ingest, ids across recomputes), ``llm`` (optional LLM labels).
"""

from memory.themes.graph import cluster_vectors
from memory.themes.incremental import (
    ASSIGN_FLOOR,
    CENTROID_SAMPLE,
    KEEP_ID_JACCARD,
    add_to_snapshot,
    assign_to_centroids,
    carry_ids,
    restate,
    theme_centroids,
)
from memory.themes.labels import phrase_labels
from memory.themes.llm import THEME_LABEL_PROMPT, ThemeLabel, label_with_llm
from memory.themes.louvain import louvain_stability
from memory.themes.report import MAX_QUOTE_CHARS, best_span, bias_note, build_report, discover_themes, trend

__all__ = [
    "ASSIGN_FLOOR",
    "CENTROID_SAMPLE",
    "KEEP_ID_JACCARD",
    "MAX_QUOTE_CHARS",
    "THEME_LABEL_PROMPT",
    "ThemeLabel",
    "add_to_snapshot",
    "assign_to_centroids",
    "best_span",
    "bias_note",
    "build_report",
    "carry_ids",
    "cluster_vectors",
    "discover_themes",
    "label_with_llm",
    "louvain_stability",
    "phrase_labels",
    "restate",
    "theme_centroids",
    "trend",
]
