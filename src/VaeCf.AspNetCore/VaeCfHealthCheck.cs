using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace VaeCf.AspNetCore;

/// <summary>Healthy while a model is served; its data name the model and item count (what GET /health answers).</summary>
internal sealed class VaeCfHealthCheck(ModelSlot slot) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var recommender = slot.Current.Recommender;
        var data = new Dictionary<string, object> { ["model"] = recommender.Manifest.Model, ["items"] = recommender.ItemCount };
        if (recommender.Source is { } source) data["source"] = source;
        return Task.FromResult(HealthCheckResult.Healthy($"serving {recommender.Manifest.Model} over {recommender.ItemCount:N0} items", data));
    }
}
