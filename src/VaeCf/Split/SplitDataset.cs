using VaeCf.Data;

namespace VaeCf.Split;

/// <summary>
/// A strong-generalization split (docs/protocol.md): training users with full histories, and
/// validation / test users whose histories are divided into fold-in input and held-out targets.
/// All matrices share one item vocabulary: column j is original item <see cref="ItemIds"/>[j].
/// </summary>
public sealed class SplitDataset
{
    /// <summary>The item vocabulary: column j of every matrix is original item ItemIds[j].</summary>
    public required string[] ItemIds { get; init; }
    /// <summary>Original IDs of the training users: row u of <see cref="Train"/> is user TrainUserIds[u].</summary>
    public required string[] TrainUserIds { get; init; }
    /// <summary>Training users' full histories, users x items.</summary>
    public required CsrMatrix Train { get; init; }
    /// <summary>Validation users: model selection (best epoch, hyper-parameters).</summary>
    public required HeldOutSet Validation { get; init; }
    /// <summary>Test users: the figures to report.</summary>
    public required HeldOutSet Test { get; init; }
    /// <summary>The notebook's file rows, set by the splitter; null for a split read from files or built from matrices.</summary>
    public SplitFileRows? FileRows { get; init; }

    /// <summary>Items in the vocabulary.</summary>
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
    /// <summary>Original IDs, one per row.</summary>
    public required string[] UserIds { get; init; }
    /// <summary>What the model sees of each user (80% of the history in the paper's split).</summary>
    public required CsrMatrix FoldIn { get; init; }
    /// <summary>What it must find: the held-out items, empty for users with too short a history.</summary>
    public required CsrMatrix Targets { get; init; }

    /// <summary>Users in the set.</summary>
    public int UserCount => UserIds.Length;
}
