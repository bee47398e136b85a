using System.Globalization;

namespace VaeCf.Data;

/// <summary>Binarization and activity filters (docs/protocol.md, steps 2-3).</summary>
public sealed record PreprocessOptions
{
    /// <summary>Keep events with rating strictly greater than this; null keeps every event (Amazon 5-core).</summary>
    public float? RatingThreshold { get; init; } = 3.5f;
    /// <summary>Users with fewer remaining events are dropped (original: 5).</summary>
    public int MinUserCount { get; init; } = 5;
    /// <summary>Items with fewer remaining events are dropped (original: 0, i.e. no item filter).</summary>
    public int MinItemCount { get; init; }

    /// <summary>Throws a <see cref="VaeCfException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (RatingThreshold is float t && !float.IsFinite(t)) throw new VaeCfException($"The rating threshold must be a finite number, got {t}.");
        if (MinUserCount < 0) throw new VaeCfException($"The minimum events per user must be 0 or more, got {MinUserCount}.");
        if (MinItemCount < 0) throw new VaeCfException($"The minimum events per item must be 0 or more, got {MinItemCount}.");
    }

    /// <summary>One line for reports: "rating &gt; 3.5, users with &gt;= 5 events, items with &gt;= 0 events".</summary>
    public string Describe() =>
        $"rating {(RatingThreshold is float t ? $"> {t.ToString(CultureInfo.InvariantCulture)}" : "any (no threshold)")}, users with >= {MinUserCount} events, items with >= {MinItemCount} events";
}

/// <summary>
/// Unique binary (user, item) events after preprocessing, in the order of the input file.
/// <see cref="EventUsers"/>[e] indexes <see cref="UserIds"/>; <see cref="EventItems"/>[e] indexes <see cref="ItemIds"/>.
/// </summary>
public sealed class BinaryInteractions
{
    /// <summary>Surviving users sorted by id as pandas sorts the file's user column (<see cref="PandasIdComparer"/>), so a split does not depend on file order.</summary>
    public required string[] UserIds { get; init; }
    /// <summary>Surviving items in order of first appearance.</summary>
    public required string[] ItemIds { get; init; }
    /// <summary>Per event: the index of its user in <see cref="UserIds"/>.</summary>
    public required int[] EventUsers { get; init; }
    /// <summary>Per event: the index of its item in <see cref="ItemIds"/>.</summary>
    public required int[] EventItems { get; init; }

    /// <summary>Unique (user, item) events.</summary>
    public int Count => EventUsers.Length;
}

/// <summary>What preprocessing removed, step by step.</summary>
public sealed record PreprocessReport
{
    /// <summary>The options that produced this report.</summary>
    public required PreprocessOptions Options { get; init; }
    /// <summary>Events read.</summary>
    public long RawEvents { get; init; }
    /// <summary>Distinct users read.</summary>
    public long RawUsers { get; init; }
    /// <summary>Distinct items read.</summary>
    public long RawItems { get; init; }
    /// <summary>Events dropped for a rating at or below the threshold.</summary>
    public long BelowThreshold { get; init; }
    /// <summary>Repeated (user, item) events merged into one after the threshold.</summary>
    public long DuplicatesMerged { get; init; }
    /// <summary>Items dropped by the minimum-events filter.</summary>
    public long ItemsRemoved { get; init; }
    /// <summary>Users dropped by the minimum-events filter.</summary>
    public long UsersRemoved { get; init; }
    /// <summary>Events dropped with those items and users.</summary>
    public long EventsRemovedByFilters { get; init; }
    /// <summary>Events kept.</summary>
    public long Events { get; init; }
    /// <summary>Users kept.</summary>
    public long Users { get; init; }
    /// <summary>Items kept.</summary>
    public long Items { get; init; }
}

/// <summary>Step 2-3 of docs/protocol.md: from a raw <see cref="InteractionLog"/> to unique binary events of active users.</summary>
public static class Preprocessor
{
    /// <summary>
    /// In the original notebook's order: binarize by threshold, then the item filter, then the user filter
    /// (each applied once, not iterated to a fixed point). Duplicate (user, item) pairs left after the
    /// threshold are merged before counting, so a re-rated item counts once towards the minimums.
    /// </summary>
    public static BinaryInteractions Run(InteractionLog log, PreprocessOptions options, out PreprocessReport report)
    {
        options.Validate();
        int n = log.Count;
        var users = new List<int>(n);
        var items = new List<int>(n);
        long belowThreshold = 0;
        for (int e = 0; e < n; e++)
        {
            if (options.RatingThreshold is float t && !(log.Ratings[e] > t)) { belowThreshold++; continue; }
            users.Add(log.Users[e]);
            items.Add(log.Items[e]);
        }
        long duplicates = RemoveDuplicatePairs(users, items, log.UserIds.Count, log.ItemIds.Count);

        var keepItem = new bool[log.ItemIds.Count];
        if (options.MinItemCount > 0)
        {
            var itemCounts = new int[log.ItemIds.Count];
            foreach (int i in items) itemCounts[i]++;
            for (int i = 0; i < keepItem.Length; i++) keepItem[i] = itemCounts[i] >= options.MinItemCount;
        }
        else Array.Fill(keepItem, true);

        var userCounts = new int[log.UserIds.Count];
        for (int e = 0; e < users.Count; e++)
            if (keepItem[items[e]]) userCounts[users[e]]++;
        var keepUser = new bool[log.UserIds.Count];
        for (int u = 0; u < keepUser.Length; u++) keepUser[u] = userCounts[u] > 0 && userCounts[u] >= options.MinUserCount;

        // Renumber survivors: users by sorted id (the notebook's groupby order), items by first appearance among kept events.
        var userOrder = Enumerable.Range(0, keepUser.Length).Where(u => keepUser[u]).ToArray();
        var idOrder = PandasIdComparer.For(log.UserIds);
        Array.Sort(userOrder, (a, b) => idOrder.Compare(log.UserIds[a], log.UserIds[b]));
        var newUser = new int[keepUser.Length];
        Array.Fill(newUser, -1);
        for (int k = 0; k < userOrder.Length; k++) newUser[userOrder[k]] = k;

        var newItem = new int[keepItem.Length];
        Array.Fill(newItem, -1);
        var itemIds = new List<string>();
        var eventUsers = new List<int>(users.Count);
        var eventItems = new List<int>(users.Count);
        for (int e = 0; e < users.Count; e++)
        {
            int u = users[e], i = items[e];
            if (!keepItem[i] || !keepUser[u]) continue;
            if (newItem[i] < 0) { newItem[i] = itemIds.Count; itemIds.Add(log.ItemIds[i]); }
            eventUsers.Add(newUser[u]);
            eventItems.Add(newItem[i]);
        }

        report = new PreprocessReport
        {
            Options = options,
            RawEvents = n,
            RawUsers = log.UserIds.Count,
            RawItems = log.ItemIds.Count,
            BelowThreshold = belowThreshold,
            DuplicatesMerged = duplicates,
            ItemsRemoved = options.MinItemCount > 0 ? keepItem.Count(k => !k) : 0,
            UsersRemoved = keepUser.Count(k => !k),
            EventsRemovedByFilters = users.Count - eventUsers.Count,
            Events = eventUsers.Count,
            Users = userOrder.Length,
            Items = itemIds.Count,
        };
        if (eventUsers.Count == 0)
            throw new VaeCfException(
                $"No events survive preprocessing ({options.Describe()}): {n:N0} events read, {n - belowThreshold:N0} pass the rating threshold, " +
                $"{users.Count:N0} after merging duplicates, 0 after the user/item minimums. Lower the threshold (or use none) or the minimum counts.");
        return new BinaryInteractions
        {
            UserIds = userOrder.Select(u => log.UserIds[u]).ToArray(),
            ItemIds = itemIds.ToArray(),
            EventUsers = eventUsers.ToArray(),
            EventItems = eventItems.ToArray(),
        };
    }

    /// <summary>
    /// Drops every repeat of a (user, item) pair, keeping the first in file order. Events are visited
    /// user by user with a per-item stamp, which needs O(events) ints rather than a hash set of pairs
    /// (hundreds of MB on ML-20M).
    /// </summary>
    private static long RemoveDuplicatePairs(List<int> users, List<int> items, int userCount, int itemCount)
    {
        var start = new int[userCount + 1];
        foreach (int u in users) start[u + 1]++;
        for (int u = 0; u < userCount; u++) start[u + 1] += start[u];
        var byUser = new int[users.Count];
        var fill = start[..userCount];
        for (int e = 0; e < users.Count; e++) byUser[fill[users[e]]++] = e;

        var stamp = new int[itemCount];
        Array.Fill(stamp, -1);
        var duplicate = new bool[users.Count];
        long duplicates = 0;
        for (int u = 0; u < userCount; u++)
            for (int p = start[u]; p < start[u + 1]; p++)
            {
                int e = byUser[p];
                if (stamp[items[e]] == u) { duplicate[e] = true; duplicates++; }
                else stamp[items[e]] = u;
            }
        if (duplicates == 0) return 0;

        int kept = 0;
        for (int e = 0; e < users.Count; e++)
        {
            if (duplicate[e]) continue;
            users[kept] = users[e];
            items[kept] = items[e];
            kept++;
        }
        users.RemoveRange(kept, users.Count - kept);
        items.RemoveRange(kept, items.Count - kept);
        return duplicates;
    }
}

/// <summary>
/// Orders ids as pandas sorts a column read by <c>read_csv</c> (the groupby and sorted-index order the
/// original notebook's split depends on). pandas types the whole column: all integers that fit int64
/// (or, none negative, uint64) -> sorted by value; else all numbers -> float64, sorted by value; else
/// strings (integers too large for 64 bits included), sorted by Unicode code point. So "10" sorts after
/// "9" in a numeric column but before it when any id in the column is not a number. Ties between texts
/// of one number ("7" and "07", which pandas would merge) fall back to code-point order.
/// </summary>
public sealed class PandasIdComparer : IComparer<string>
{
    private enum ColumnType { Integer, Float, Text }

    private const NumberStyles IntegerStyle = NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite;

    private readonly ColumnType _type;

    private PandasIdComparer(ColumnType type) => _type = type;

    /// <summary>The order pandas would give a column holding exactly <paramref name="allIds"/> (every raw id of the file, kept or not).</summary>
    public static PandasIdComparer For(IReadOnlyCollection<string> allIds)
    {
        bool integers = true, fitInt64 = true, fitUInt64 = true;
        foreach (string id in allIds)
        {
            if (!Int128.TryParse(id, IntegerStyle, CultureInfo.InvariantCulture, out Int128 value)) { integers = false; break; }
            fitInt64 &= value >= long.MinValue && value <= long.MaxValue;
            fitUInt64 &= value >= 0 && value <= ulong.MaxValue;
        }
        if (integers) return new(fitInt64 || fitUInt64 ? ColumnType.Integer : ColumnType.Text);
        if (allIds.All(id => double.TryParse(id, NumberStyles.Float, CultureInfo.InvariantCulture, out _))) return new(ColumnType.Float);
        return new(ColumnType.Text);
    }

    /// <inheritdoc/>
    public int Compare(string? x, string? y)
    {
        x ??= "";
        y ??= "";
        int byValue = _type switch
        {
            ColumnType.Integer => Int128.Parse(x, IntegerStyle, CultureInfo.InvariantCulture).CompareTo(Int128.Parse(y, IntegerStyle, CultureInfo.InvariantCulture)),
            ColumnType.Float => double.Parse(x, NumberStyles.Float, CultureInfo.InvariantCulture).CompareTo(double.Parse(y, NumberStyles.Float, CultureInfo.InvariantCulture)),
            _ => 0,
        };
        return byValue != 0 ? byValue : CompareCodePoints(x, y);
    }

    /// <summary>
    /// Python's string order (by code point). Ordinal UTF-16 order differs only when a surrogate pair
    /// (U+10000 and up) meets a char in U+E000..U+FFFF; shifting those two ranges fixes it.
    /// </summary>
    public static int CompareCodePoints(string x, string y)
    {
        int common = Math.Min(x.Length, y.Length);
        for (int i = 0; i < common; i++)
        {
            char a = x[i], b = y[i];
            if (a == b) continue;
            return Fixup(a).CompareTo(Fixup(b));
        }
        return x.Length.CompareTo(y.Length);

        static int Fixup(char c) => c >= 0xE000 ? c - 0x800 : c >= 0xD800 ? c + 0x2000 : c;
    }
}
