using VaeCf.Data;

namespace VaeCf.Split;

/// <summary>
/// Moves held-out users of one dataset onto a model's item vocabulary by original item ID, so a
/// model can be evaluated on a split prepared separately (or by the Python implementations).
/// Items the model has never seen are dropped and counted.
/// </summary>
public static class VocabularyAlignment
{
    /// <summary><paramref name="set"/>, whose columns are <paramref name="dataItemIds"/>, with its columns remapped to <paramref name="modelItemIds"/>; <paramref name="droppedEvents"/> counts events on items the model lacks. Returns the set itself when the vocabularies are equal.</summary>
    public static HeldOutSet Align(HeldOutSet set, IReadOnlyList<string> dataItemIds, IReadOnlyList<string> modelItemIds, out long droppedEvents)
    {
        if (dataItemIds.SequenceEqual(modelItemIds)) { droppedEvents = 0; return set; }
        var modelIndex = new Dictionary<string, int>(modelItemIds.Count, StringComparer.Ordinal);
        for (int i = 0; i < modelItemIds.Count; i++) modelIndex[modelItemIds[i]] = i;
        var map = new int[dataItemIds.Count];
        for (int i = 0; i < map.Length; i++) map[i] = modelIndex.TryGetValue(dataItemIds[i], out int j) ? j : -1;
        var foldIn = set.FoldIn.RemapColumns(map, modelItemIds.Count, out long droppedFoldIn);
        var targets = set.Targets.RemapColumns(map, modelItemIds.Count, out long droppedTargets);
        droppedEvents = droppedFoldIn + droppedTargets;
        return new HeldOutSet { UserIds = set.UserIds, FoldIn = foldIn, Targets = targets };
    }
}
