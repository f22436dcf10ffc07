using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Triggers.Tests.EndToEnd;
using Triggers.Tests.Infrastructure;

namespace Triggers.Tests.Security;

/// <summary>The silo's dashboard and metrics answer only to the admin token: as a bearer token, or as the password of
/// HTTP Basic, which is what a browser's sign-in dialog sends.</summary>
[Collection(EmbeddedSiloCollection.Name)]
public sealed class AdminPagesTests(EmbeddedSiloFixture fixture)
{
    [Theory]
    [InlineData("/dashboard/")]
    [InlineData("/metrics")]
    public async Task Without_the_admin_token_the_page_is_refused(string page)
    {
        using var anonymous = fixture.Silo.CreateClient();
        using var refused = await anonymous.GetAsync(page);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        using var wrong = new HttpRequestMessage(HttpMethod.Get, page) { Headers = { Authorization = Basic("wrong-token") } };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(wrong)).StatusCode);

        using var right = new HttpRequestMessage(HttpMethod.Get, page) { Headers = { Authorization = Basic(SiloFactory.AdminToken) } };
        Assert.Equal(HttpStatusCode.OK, (await anonymous.SendAsync(right)).StatusCode);
        using var bearer = new HttpRequestMessage(HttpMethod.Get, page) { Headers = { Authorization = new("Bearer", SiloFactory.AdminToken) } };
        Assert.Equal(HttpStatusCode.OK, (await anonymous.SendAsync(bearer)).StatusCode);
    }

    [Fact]
    public async Task The_dashboard_asks_a_browser_for_credentials()
    {
        using var anonymous = fixture.Silo.CreateClient();
        using var refused = await anonymous.GetAsync("/dashboard/");
        Assert.StartsWith("Basic realm=", refused.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task The_API_takes_no_Basic_credentials_so_a_browser_cannot_be_made_to_send_them_from_another_site()
    {
        using var anonymous = fixture.Silo.CreateClient();
        using var basic = new HttpRequestMessage(HttpMethod.Get, "/api/workspaces/list") { Headers = { Authorization = Basic(SiloFactory.AdminToken) } };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(basic)).StatusCode);
        using var reseal = new HttpRequestMessage(HttpMethod.Post, "/api/secrets/reseal") { Headers = { Authorization = Basic(SiloFactory.AdminToken) } };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(reseal)).StatusCode);
    }

    private static AuthenticationHeaderValue Basic(string token) => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{token}")));
}
