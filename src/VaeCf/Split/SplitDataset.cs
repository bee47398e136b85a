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

    public int ItemCount => ItemIds.Length;
}

/// <summary>Held-out users: row u of <see cref="FoldIn"/> and <see cref="Targets"/> is user <see cref="UserIds"/>[u].</summary>
public sealed class HeldOutSet
{
    public required string[] UserIds { get; init; }
    public required CsrMatrix FoldIn { get; init; }
    public required CsrMatrix Targets { get; init; }

    public int UserCount => UserIds.Length;
}
