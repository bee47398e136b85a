using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using VaeCf.AspNetCore;

namespace VaeCf.Tests.Service;

/// <summary>README's "Library in a service" Program.cs, compiled here; a test checks the README quotes this region verbatim.</summary>
public static class ServiceExample
{
    public static WebApplication Create(string[] args)
    {
        #region program
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddVaeCfRecommender(builder.Configuration.GetSection("VaeCf"));
        var app = builder.Build();
        app.MapHealthChecks("/healthz");
        app.MapVaeCfRecommender();
        #endregion
        return app;
    }
}
