namespace VaeCf.Split;

/// <summary>
/// The rows of the original layout's files in the order the original notebook writes them: train.csv in
/// event order; each held-out file user by user in sorted-id order, events in event order; uids are
/// positions in the user permutation (<see cref="UserIds"/>, which also lists held-out users left
/// without events, as unique_uid.txt does). The matrices of <see cref="SplitDataset"/> sort each row, so
/// they alone cannot give the notebook's bytes back.
/// </summary>
public sealed class SplitFileRows
{
    /// <summary>unique_uid.txt: every user in permuted order (training, then validation, then test users).</summary>
    public required string[] UserIds { get; init; }
    /// <summary>train.csv's rows.</summary>
    public required UidSidRows Train { get; init; }
    /// <summary>validation_tr.csv's rows.</summary>
    public required UidSidRows ValidationFoldIn { get; init; }
    /// <summary>validation_te.csv's rows.</summary>
    public required UidSidRows ValidationTargets { get; init; }
    /// <summary>test_tr.csv's rows.</summary>
    public required UidSidRows TestFoldIn { get; init; }
    /// <summary>test_te.csv's rows.</summary>
    public required UidSidRows TestTargets { get; init; }

    /// <summary>
    /// Rows for a split that has only its matrices (e.g. one built in code): users in row order with uids
    /// counted on from the training users, each row's items ascending.
    /// </summary>
    public static SplitFileRows FromMatrices(SplitDataset data)
    {
        int train = data.Train.Rows, validation = data.Validation.UserCount;
        return new SplitFileRows
        {
            UserIds = [.. data.TrainUserIds, .. data.Validation.UserIds, .. data.Test.UserIds],
            Train = UidSidRows.Of(data.Train, 0),
            ValidationFoldIn = UidSidRows.Of(data.Validation.FoldIn, train),
            ValidationTargets = UidSidRows.Of(data.Validation.Targets, train),
            TestFoldIn = UidSidRows.Of(data.Test.FoldIn, train + validation),
            TestTargets = UidSidRows.Of(data.Test.Targets, train + validation),
        };
    }
}

/// <summary>(uid, sid) rows of one file, in file order.</summary>
public sealed class UidSidRows
{
    /// <summary>Each row's uid (a line of unique_uid.txt).</summary>
    public required int[] Uids { get; init; }
    /// <summary>Each row's sid (a line of unique_sid.txt).</summary>
    public required int[] Sids { get; init; }

    /// <summary>Rows in the file.</summary>
    public int Count => Uids.Length;

    /// <summary>Matrix row r becomes uid firstUid + r.</summary>
    public static UidSidRows Of(Data.CsrMatrix matrix, int firstUid)
    {
        var builder = new Builder();
        for (int row = 0; row < matrix.Rows; row++)
            foreach (int sid in matrix.RowIndices(row)) builder.Add(firstUid + row, sid);
        return builder.Build();
    }

    internal sealed class Builder
    {
        private readonly List<int> _uids = [];
        private readonly List<int> _sids = [];

        public void Add(int uid, int sid)
        {
            _uids.Add(uid);
            _sids.Add(sid);
        }

        public UidSidRows Build() => new() { Uids = _uids.ToArray(), Sids = _sids.ToArray() };
    }
}
