using VaeCf.Persistence;

namespace VaeCf.Catalogue;

/// <summary>A model as it goes into a folder: the manifest, the tensors, and any other text files.</summary>
public sealed record SavedModel(ModelManifest Manifest, IReadOnlyList<NamedTensor> Tensors, IReadOnlyDictionary<string, string> TextFiles);
