namespace VaeCf.Data;

/// <summary>
/// A columnar log of (user, item, rating, timestamp) events with original IDs interned once:
/// <see cref="Users"/>[e] indexes <see cref="UserIds"/>, <see cref="Items"/>[e] indexes
/// <see cref="ItemIds"/>. Columnar storage keeps ML-20M (20M events) at about 400 MB.
/// </summary>
public sealed class InteractionLog
{
    /// <summary>Original user IDs, each once, in order of first appearance.</summary>
    public List<string> UserIds { get; } = new();
    /// <summary>Original item IDs, each once, in order of first appearance.</summary>
    public List<string> ItemIds { get; } = new();
    /// <summary>Per event: the index of its user in <see cref="UserIds"/>.</summary>
    public List<int> Users { get; } = new();
    /// <summary>Per event: the index of its item in <see cref="ItemIds"/>.</summary>
    public List<int> Items { get; } = new();
    /// <summary>Per event: the rating (1 when the file has none).</summary>
    public List<float> Ratings { get; } = new();
    /// <summary>Per event: the timestamp as read (0 when the file has none).</summary>
    public List<long> Timestamps { get; } = new();

    private readonly Dictionary<string, int> _userIndex = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _itemIndex = new(StringComparer.Ordinal);

    /// <summary>Events logged.</summary>
    public int Count => Users.Count;

    /// <summary>Appends one event, interning its IDs.</summary>
    public void Add(string user, string item, float rating, long timestamp = 0)
    {
        Users.Add(Intern(_userIndex, UserIds, user));
        Items.Add(Intern(_itemIndex, ItemIds, item));
        Ratings.Add(rating);
        Timestamps.Add(timestamp);
    }

    /// <summary>Adds with spans so readers can avoid allocating a string for an ID seen before.</summary>
    public void Add(ReadOnlySpan<char> user, ReadOnlySpan<char> item, float rating, long timestamp = 0)
    {
        Users.Add(Intern(_userIndex, UserIds, user));
        Items.Add(Intern(_itemIndex, ItemIds, item));
        Ratings.Add(rating);
        Timestamps.Add(timestamp);
    }

    private static int Intern(Dictionary<string, int> index, List<string> ids, string id)
    {
        if (!index.TryGetValue(id, out int i)) { i = ids.Count; index.Add(id, i); ids.Add(id); }
        return i;
    }

    private static int Intern(Dictionary<string, int> index, List<string> ids, ReadOnlySpan<char> id)
    {
        var lookup = index.GetAlternateLookup<ReadOnlySpan<char>>();
        if (!lookup.TryGetValue(id, out int i)) { string s = id.ToString(); i = ids.Count; index.Add(s, i); ids.Add(s); }
        return i;
    }
}
