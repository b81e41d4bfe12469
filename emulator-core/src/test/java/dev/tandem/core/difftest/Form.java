package dev.tandem.core.difftest;

/** One instruction form (e.g. "add r32,m32"): a name, a category for the report, and its case builder. */
record Form(String name, String category, Builder builder) {
    /** Fills in the instruction bytes and overrides the random initial state where the form needs it. */
    interface Builder {
        void build(Gen g, TestCase c);
    }
}
