namespace VaeCf.Data;

/// <summary>
/// A columnar log of (user, item, rating, timestamp) events with original IDs interned once:
/// <see cref="Users"/>[e] indexes <see cref="UserIds"/>, <see cref="Items"/>[e] indexes
/// <see cref="ItemIds"/>. Columnar storage keeps ML-20M (20M events) at about 400 MB.
/// </summary>
public sealed class InteractionLog
{
    public List<string> UserIds { get; } = new();
    public List<string> ItemIds { get; } = new();
    public List<int> Users { get; } = new();
    public List<int> Items { get; } = new();
    public List<float> Ratings { get; } = new();
    public List<long> Timestamps { get; } = new();

    private readonly Dictionary<string, int> _userIndex = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _itemIndex = new(StringComparer.Ordinal);

    public int Count => Users.Count;

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
