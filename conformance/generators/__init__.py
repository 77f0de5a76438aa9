"""Domain documents for tests and campaigns: seeded generation, Hypothesis
strategies, and invalid variants by named error mode."""
