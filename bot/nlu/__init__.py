"""Understanding without any LLM: normalise → jieba → n-grams → linear models; regex and lookup entities."""
