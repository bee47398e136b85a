using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using VaeCf.Serving;

namespace VaeCf.AspNetCore;

/// <summary>
/// POST /recommend's 200 answer, written straight into the response pipe. The same JSON the
/// source-generated serializer gives for <see cref="RecommendationResult"/> (snake_case, no null
/// titles; a non-finite score is refused, never written), without its per-property metadata walk and async
/// state machines, which cost more than the top-k selection at thousands of requests a second.
/// </summary>
public sealed class RecommendationJsonResult(RecommendationResult result) : IResult
{

    /// <summary>The answer this result writes.</summary>
    public RecommendationResult Result { get; } = result;

    /// <summary>Writes <see cref="Result"/> as the 200 response's JSON body.</summary>
    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer)) RecommendationJson.Write(writer, Result);
        response.ContentLength = buffer.WrittenCount;
        return response.BodyWriter.WriteAsync(buffer.WrittenMemory).AsTask();
    }
}
