using VaeCf.Data;

namespace VaeCf.Split;

/// <summary>What the split dropped beyond the matrices themselves.</summary>
public sealed record SplitReport
{
    /// <summary>The options that produced this report.</summary>
    public required SplitOptions Options { get; init; }
    /// <summary>Held-out events on items no training user saw (docs/protocol.md, step 5).</summary>
    public long HeldOutEventsOutsideVocabulary { get; init; }
    /// <summary>Held-out users left with no event at all after step 5; they appear in no matrix (as in the original, whose files have no row for them).</summary>
    public int HeldOutUsersWithoutEvents { get; init; }
}

/// <summary>
/// The strong-generalization split of docs/protocol.md, steps 4-6, draw for draw the original notebook's
/// (dawenl/vae_cf, VAE_ML20M_WWW2018.ipynb): the same users, items, targets and file rows for the same
/// events and seed. Its randomness is numpy's legacy generator (<see cref="NumpyRandomState"/>):
/// <list type="number">
/// <item>users, in <see cref="BinaryInteractions.UserIds"/> order (pandas' sorted groupby index), are
/// permuted by <c>np.random.seed(seed); np.random.permutation(n_users)</c>; the permuted position is the
/// user's uid; the last <c>test</c> users are test users, the <c>validation</c> users before them validation
/// users, the rest training users;</item>
/// <item>the item vocabulary is <c>pd.unique</c> of the training users' items: first appearance in event order;</item>
/// <item>each held-out set reseeds the generator, then visits its users in sorted-id order (pandas' groupby)
/// and, for a user with n >= 5 events left, takes <c>np.random.choice(n, int(0.2 n), replace=False)</c>
/// of them (in event order) as targets; users with fewer keep all events as fold-in and draw nothing.</item>
/// </list>
/// The file rows are kept in the notebook's order too (<see cref="SplitDataset.FileRows"/>), so that
/// <see cref="OriginalLayout.Write"/> reproduces its CSV files byte for byte.
/// </summary>
public static class StrongGeneralizationSplitter
{
    /// <summary>Splits <paramref name="data"/> as the notebook does.</summary>
    public static SplitDataset Split(BinaryInteractions data, SplitOptions options) => Split(data, options, out _);

    /// <summary>Splits <paramref name="data"/> as the notebook does; <paramref name="report"/> counts what was dropped.</summary>
    public static SplitDataset Split(BinaryInteractions data, SplitOptions options, out SplitReport report)
    {
        options.Validate();
        int userCount = data.UserIds.Length;
        int validationCount = options.ValidationUsers.Resolve(userCount);
        int testCount = options.TestUsers.Resolve(userCount);
        if (validationCount < 1)
            throw new VaeCfException($"{options.ValidationUsers} of {userCount} users is no validation user at all; hold out more.");
        if (testCount < 1)
            throw new VaeCfException($"{options.TestUsers} of {userCount} users is no test user at all; hold out more.");
        if ((long)validationCount + testCount >= userCount)
            throw new VaeCfException(
                $"Holding out {validationCount} validation and {testCount} test users leaves no training users: only {userCount} users remain after preprocessing.");
        int trainCount = userCount - validationCount - testCount;

        var random = new NumpyRandomState((uint)options.Seed);
        int[] shuffled = random.Permutation(userCount);
        var uidOf = new int[userCount];
        for (int k = 0; k < userCount; k++) uidOf[shuffled[k]] = k;

        // Events grouped by user, in event order inside each user (as pandas' groupby keeps them).
        var start = new int[userCount + 1];
        foreach (int u in data.EventUsers) start[u + 1]++;
        for (int u = 0; u < userCount; u++) start[u + 1] += start[u];
        var byUser = new int[data.Count];
        var fill = start[..userCount];
        for (int e = 0; e < data.Count; e++) byUser[fill[data.EventUsers[e]]++] = data.EventItems[e];

        // Vocabulary: items of training users in order of first appearance (the original's pd.unique), and
        // train.csv: the training users' events in event order.
        var column = new int[data.ItemIds.Length];
        Array.Fill(column, -1);
        var itemIds = new List<string>();
        var trainRows = new UidSidRows.Builder();
        for (int e = 0; e < data.Count; e++)
        {
            int user = data.EventUsers[e], item = data.EventItems[e];
            if (uidOf[user] >= trainCount) continue;
            if (column[item] < 0) { column[item] = itemIds.Count; itemIds.Add(data.ItemIds[item]); }
            trainRows.Add(uidOf[user], column[item]);
        }
        int columns = itemIds.Count;

        var train = new CsrAssembler(columns);
        for (int uid = 0; uid < trainCount; uid++)
        {
            int u = shuffled[uid];
            for (int p = start[u]; p < start[u + 1]; p++) train.Add(column[byUser[p]]);
            train.EndRow();
        }

        long outsideVocabulary = 0;
        int withoutEvents = 0;
        var isTarget = new bool[data.Count];
        var positions = new int[16];
        var scratch = new int[16];
        var chosen = new int[16];
        (HeldOutSet Set, UidSidRows FoldInRows, UidSidRows TargetRows) HoldOut(int firstUid, int count)
        {
            // The notebook reseeds before each set and draws users in sorted-id order, not in uid order.
            random.Seed((uint)options.Seed);
            var foldInRows = new UidSidRows.Builder();
            var targetRows = new UidSidRows.Builder();
            for (int u = 0; u < userCount; u++)
            {
                int uid = uidOf[u];
                if (uid < firstUid || uid >= firstUid + count) continue;
                int length = start[u + 1] - start[u];
                if (positions.Length < length) { positions = new int[length]; scratch = new int[length]; chosen = new int[length]; }
                int n = 0;  // the user's events left after step 5; positions[k] is the k-th one's place in byUser
                for (int p = start[u]; p < start[u + 1]; p++)
                    if (column[byUser[p]] >= 0) positions[n++] = p;
                    else outsideVocabulary++;
                if (n == 0) continue;  // no rows in the files, and no draw: pandas' groupby never sees the user

                if (n >= options.MinEventsForTargets)
                {
                    int size = (int)(options.TargetFraction * n);
                    random.ChoiceWithoutReplacement(scratch.AsSpan(0, n), size, chosen);
                    for (int c = 0; c < size; c++) isTarget[positions[chosen[c]]] = true;
                }
                for (int p = start[u]; p < start[u + 1]; p++)
                {
                    int sid = column[byUser[p]];
                    if (sid < 0) continue;
                    (isTarget[p] ? targetRows : foldInRows).Add(uid, sid);
                }
            }

            // The matrices list users by uid, skipping those left without events.
            var foldIn = new CsrAssembler(columns);
            var targets = new CsrAssembler(columns);
            var userIds = new List<string>(count);
            for (int uid = firstUid; uid < firstUid + count; uid++)
            {
                int u = shuffled[uid];
                bool any = false;
                for (int p = start[u]; p < start[u + 1]; p++)
                {
                    int sid = column[byUser[p]];
                    if (sid < 0) continue;
                    (isTarget[p] ? targets : foldIn).Add(sid);
                    any = true;
                }
                if (!any) { withoutEvents++; continue; }
                foldIn.EndRow();
                targets.EndRow();
                userIds.Add(data.UserIds[u]);
            }
            var set = new HeldOutSet { UserIds = userIds.ToArray(), FoldIn = foldIn.Build(), Targets = targets.Build() };
            return (set, foldInRows.Build(), targetRows.Build());
        }

        var validation = HoldOut(trainCount, validationCount);
        var test = HoldOut(trainCount + validationCount, testCount);
        report = new SplitReport { Options = options, HeldOutEventsOutsideVocabulary = outsideVocabulary, HeldOutUsersWithoutEvents = withoutEvents };
        return new SplitDataset
        {
            ItemIds = itemIds.ToArray(),
            TrainUserIds = shuffled[..trainCount].Select(u => data.UserIds[u]).ToArray(),
            Train = train.Build(),
            Validation = validation.Set,
            Test = test.Set,
            FileRows = new SplitFileRows
            {
                UserIds = shuffled.Select(u => data.UserIds[u]).ToArray(),
                Train = trainRows.Build(),
                ValidationFoldIn = validation.FoldInRows,
                ValidationTargets = validation.TargetRows,
                TestFoldIn = test.FoldInRows,
                TestTargets = test.TargetRows,
            },
        };
    }
}
