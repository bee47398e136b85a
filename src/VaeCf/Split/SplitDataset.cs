using VaeCf.Data;

namespace VaeCf.Split;

/// <summary>
/// A strong-generalization split (docs/protocol.md): training users with full histories, and
/// validation / test users whose histories are divided into fold-in input and held-out targets.
/// All matrices share one item vocabulary: column j is original item <see cref="ItemIds"/>[j].
/// </summary>
public sealed class SplitDataset
{
    public required string[] ItemIds { get; init; }
    public required string[] TrainUserIds { get; init; }
    public required CsrMatrix Train { get; init; }
    public required HeldOutSet Validation { get; init; }
    public required HeldOutSet Test { get; init; }
    /// <summary>The notebook's file rows, set by the splitter; null for a split read from files or built from matrices.</summary>
    public SplitFileRows? FileRows { get; init; }

    public int ItemCount => ItemIds.Length;

    /// <summary>The same split without its <see cref="FileRows"/> (the matrices are shared, not copied).</summary>
    public SplitDataset WithoutFileRows() => FileRows is null ? this : new SplitDataset
    {
        ItemIds = ItemIds,
        TrainUserIds = TrainUserIds,
        Train = Train,
        Validation = Validation,
        Test = Test,
    };

    /// <summary>
    /// A user's item IDs as a model may see them: the training row, else the validation or test
    /// fold-in (never the held-out targets); null when the user is in none of them.
    /// </summary>
    public IReadOnlyList<string>? HistoryOf(string user)
    {
        int row = Array.IndexOf(TrainUserIds, user);
        CsrMatrix? matrix = row >= 0 ? Train : null;
        foreach (var held in new[] { Validation, Test })
        {
            if (matrix is not null) break;
            row = Array.IndexOf(held.UserIds, user);
            if (row >= 0) matrix = held.FoldIn;
        }
        if (matrix is null) return null;
        var ids = new List<string>(matrix.RowLength(row));
        foreach (int c in matrix.RowIndices(row)) ids.Add(ItemIds[c]);
        return ids;
    }
}

/// <summary>Held-out users: row u of <see cref="FoldIn"/> and <see cref="Targets"/> is user <see cref="UserIds"/>[u].</summary>
public sealed class HeldOutSet
{
    public required string[] UserIds { get; init; }
    public required CsrMatrix FoldIn { get; init; }
    public required CsrMatrix Targets { get; init; }

    public int UserCount => UserIds.Length;
}
