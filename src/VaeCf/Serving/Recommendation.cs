namespace VaeCf.Serving;

/// <summary>
/// One user's question: a history of original item IDs (known user or brand-new, the model folds it
/// in either way) and how many items to return.
/// </summary>
public sealed record RecommendationRequest(IReadOnlyList<string> Items, int K)
{
    /// <summary>Leave the history's own items out of the answer (the usual case: do not recommend what was seen).</summary>
    public bool ExcludeHistory { get; init; } = true;

    /// <summary>Further item IDs never to recommend; IDs the model does not know are ignored.</summary>
    public IReadOnlyList<string>? Exclude { get; init; }
}

/// <summary>A recommended item: its original ID, the model's score (a logit, higher is better) and its title when metadata was given.</summary>
public readonly record struct RecommendedItem(string Id, float Score, string? Title);

/// <summary>
/// The top-k items in rank order, plus the history IDs the model has never seen: those were
/// ignored, not fatal, and are reported so the caller can notice a vocabulary mismatch.
/// </summary>
public sealed record RecommendationResult(IReadOnlyList<RecommendedItem> Items, IReadOnlyList<string> UnknownItems)
{
    /// <summary>How many distinct history IDs the model did not know.</summary>
    public int UnknownCount => UnknownItems.Count;
}
