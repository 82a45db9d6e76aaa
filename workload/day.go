package workload

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/integration-events/integration-events/subjects"
)

// DayHours is how far back Day's first run lies.
const DayHours = 22

// Day's integrations. NetSuite's token is revoked 13 hours before now and
// Xero's 6 hours before: each is disabled 20 failed runs later.
const (
	DaySalesforce = "salesforce-acme"
	DayChargebee  = "chargebee-globex"
	DayNetSuite   = "netsuite-initech"
	DayXero       = "xero-umbrella"
	DayStripe     = "stripe-hooli"
	DayQuickBooks = "quickbooks-wayne"
)

// dayIntegration is one of Day's integrations: what it sends where, and how
// often it runs when it is well.
type dayIntegration struct {
	id, destination, entityType, entityPrefix string
	firstEntity                               int
	every                                     time.Duration
}

var dayIntegrations = map[string]dayIntegration{
	DaySalesforce: {DaySalesforce, "Salesforce", "Bill", "bill-", 1001, 50 * time.Minute},
	DayChargebee:  {DayChargebee, "Chargebee", "Invoice", "inv-", 2001, 70 * time.Minute},
	DayNetSuite:   {DayNetSuite, "NetSuite", "Account", "acct-", 3001, 40 * time.Minute},
	DayXero:       {DayXero, "Xero", "Invoice", "INV-", 4501, 45 * time.Minute},
	DayStripe:     {DayStripe, "Stripe", "Invoice", "in_1Q", 7001, 55 * time.Minute},
	DayQuickBooks: {DayQuickBooks, "QuickBooks", "Bill", "bill-qb-", 901, 80 * time.Minute},
}

// failure builds a run's failure for its entity; finished is when it ended.
type failure func(entityID string, finished time.Time) *subjects.Failure

// dayRun is a run of Day before it has its ids.
type dayRun struct {
	at   time.Time
	in   dayIntegration
	fail failure
}

// Day is a day of six billing integrations, the DayHours before now, oldest
// first: mostly successes; failures of every kind with the HTTP exchanges
// and logs runners send, credentials included for the processor to redact
// (each one written in clear holds "demo", for tests to look for); NetSuite
// disabled after its token was revoked, and Xero disabled hours before now
// and still disabled at the end. The demo plays it, so that the console
// opens on what looks like a day rather than on a burst of one second.
func Day(now time.Time) []subjects.RunOutcome {
	now = now.UTC().Truncate(time.Second)
	start := now.Add(-DayHours * time.Hour)
	ago := func(h, m int) time.Time { return now.Add(-time.Duration(h)*time.Hour - time.Duration(m)*time.Minute) }
	nsRevoked, xeroExpired := ago(13, 10), ago(5, 40)

	var runs []dayRun
	// Runs when well, each integration on its own schedule; none while a
	// token is broken, since the failing runs below take their place.
	for _, id := range slices.Sorted(maps.Keys(dayIntegrations)) {
		in := dayIntegrations[id]
		for at := start.Add(time.Duration(len(runs)%7) * time.Minute); at.Before(now.Add(-5 * time.Minute)); at = at.Add(in.every) {
			if id == DayNetSuite && !at.Before(nsRevoked) || id == DayXero && !at.Before(xeroExpired) {
				continue
			}
			runs = append(runs, dayRun{at: at.Add(jitter(len(runs))), in: in})
		}
	}
	add := func(id string, at time.Time, f failure) {
		runs = append(runs, dayRun{at: at.Add(jitter(len(runs))), in: dayIntegrations[id], fail: f})
	}
	add(DaySalesforce, ago(20, 12), sfNoContactEmail)
	add(DayNetSuite, ago(18, 47), nsNoCustomer)
	add(DayChargebee, ago(15, 3), cbKeyInvalid)
	for i := range 20 {
		add(DayNetSuite, nsRevoked.Add(time.Duration(i)*15*time.Minute), nsLoginRevoked)
	}
	add(DayStripe, ago(11, 26), stripeCardDeclined)
	add(DaySalesforce, ago(9, 14), sfRequiredField)
	add(DayQuickBooks, ago(7, 2), qbDuplicateName)
	for i := range 20 {
		add(DayXero, xeroExpired.Add(time.Duration(i)*6*time.Minute), xeroTokenExpired)
	}
	add(DayStripe, ago(3, 9), stripeRateLimit)
	add(DaySalesforce, ago(2, 55), sfNegativeTotal)
	add(DayQuickBooks, ago(1, 32), qbNoTaxCode)
	add(DayChargebee, ago(1, 5), cbCurrency)
	add(DayStripe, ago(0, 41), stripeNoCustomer)
	add(DayQuickBooks, ago(0, 18), qbNoItem)
	slices.SortStableFunc(runs, func(a, b dayRun) int { return a.at.Compare(b.at) })

	next := map[string]int{}
	out := make([]subjects.RunOutcome, len(runs))
	for i, r := range runs {
		n := r.in.firstEntity + next[r.in.id]
		next[r.in.id]++
		out[i] = dayOutcome(r.in, fmt.Sprintf("run-%04d", i+1), fmt.Sprintf("%s%d", r.in.entityPrefix, n), r.at, r.fail)
	}
	return out
}

// Trickle is the n-th run (from 0) of the demo's live trickle after Day,
// finished at now: the integrations still enabled at Day's end take turns,
// and every sixth run fails, on a different integration each time, so
// events keep arriving without any streak growing long.
func Trickle(n int, now time.Time) subjects.RunOutcome {
	now = now.UTC().Truncate(time.Millisecond)
	runID := fmt.Sprintf("live-%04d", n+1)
	if n%6 == 5 {
		f := []struct {
			id   string
			fail failure
		}{{DayStripe, stripeRateLimit}, {DaySalesforce, sfNegativeTotal}, {DayQuickBooks, qbNoItem}}[(n/6)%3]
		in := dayIntegrations[f.id]
		return dayOutcome(in, runID, fmt.Sprintf("%s%d", in.entityPrefix, in.firstEntity+500+n), now, f.fail)
	}
	well := []string{DaySalesforce, DayChargebee, DayNetSuite, DayStripe, DayQuickBooks}
	in := dayIntegrations[well[n%len(well)]]
	return dayOutcome(in, runID, fmt.Sprintf("%s%d", in.entityPrefix, in.firstEntity+500+n), now, nil)
}

// jitter spreads runs over the seconds of their minute, as real runs are.
func jitter(i int) time.Duration { return time.Duration(i*17%53) * time.Second }

// dayOutcome is the outcome of one run; a failed one carries the log a
// runner writes up to the stage that failed.
func dayOutcome(in dayIntegration, runID, entityID string, at time.Time, fail failure) subjects.RunOutcome {
	started := at.Add(-4*time.Second - 310*time.Millisecond)
	o := subjects.RunOutcome{
		RunID: runID, IntegrationID: in.id, Destination: in.destination, EntityType: in.entityType, EntityID: entityID,
		Status: subjects.StatusSucceeded, StartedAt: &started, FinishedAt: at,
	}
	if fail == nil {
		return o
	}
	o.Status, o.Failure = subjects.StatusFailed, fail(entityID, at)
	steps := []struct {
		stage subjects.Stage
		step  string
		ok    string
	}{
		{"", "FETCH", fmt.Sprintf("Read %s %s from m3ter", in.entityType, entityID)},
		{subjects.StageValidate, "VALIDATE", fmt.Sprintf("%s %s is valid for %s", in.entityType, entityID, in.destination)},
		{subjects.StageMap, "MAP", fmt.Sprintf("Mapped %s %s to its %s record", in.entityType, entityID, in.destination)},
		{subjects.StageAuthenticate, "AUTHENTICATE", fmt.Sprintf("Signed in to %s", in.destination)},
		{subjects.StagePerform, "PERFORM", fmt.Sprintf("Sent %s %s to %s", in.entityType, entityID, in.destination)},
	}
	for i, s := range steps {
		t := started.Add(time.Duration(i+1) * 700 * time.Millisecond)
		if s.stage == o.Failure.Stage {
			t = at
			o.Log = append(o.Log, subjects.LogEntry{Time: &t, Step: s.step, Level: "ERROR", Message: firstLine(o.Failure.Message)})
			break
		}
		o.Log = append(o.Log, subjects.LogEntry{Time: &t, Step: s.step, Level: "INFO", Message: s.ok})
	}
	return o
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func header(kv ...string) subjects.Headers {
	h := subjects.Headers{}
	for i := 0; i+1 < len(kv); i += 2 {
		h[kv[i]] = []string{kv[i+1]}
	}
	return h
}

// The failures of Day, as each provider answers them.

func sfNoContactEmail(id string, _ time.Time) *subjects.Failure {
	return &subjects.Failure{Stage: subjects.StageValidate,
		Message: fmt.Sprintf("Bill %s has no billing contact email, which Salesforce requires on Invoice__c", id)}
}

func sfNegativeTotal(id string, _ time.Time) *subjects.Failure {
	return &subjects.Failure{Stage: subjects.StageValidate,
		Message: fmt.Sprintf("Bill %s totals -120.00 GBP; Salesforce Invoice__c.Amount__c must be zero or more (issue a credit note instead)", id)}
}

func sfRequiredField(id string, _ time.Time) *subjects.Failure {
	return &subjects.Failure{Stage: subjects.StagePerform, Message: "REQUIRED_FIELD_MISSING: Required fields are missing: [Account__c]",
		HTTP: &subjects.HTTPExchange{
			Request: &subjects.HTTPRequest{Method: "POST", URL: "https://acme.my.salesforce.com/services/data/v60.0/sobjects/Invoice__c",
				Headers: header("Authorization", "Bearer 00D5e000000demo!AQ4AQFhq0KdPr7Lx", "Content-Type", "application/json", "Sforce-Call-Options", "client=m3ter-integrations"),
				Body:    subjects.Body(fmt.Sprintf(`{"Name":%q,"Amount__c":420.5,"Currency__c":"GBP","Due_Date__c":"2026-12-31","access_token":"00D5e000000demo"}`, id))},
			Response: &subjects.HTTPResponse{Status: 400, Headers: header("Content-Type", "application/json;charset=UTF-8", "Sforce-Limit-Info", "api-usage=18240/100000"),
				Body: `[{"message":"Required fields are missing: [Account__c]","errorCode":"REQUIRED_FIELD_MISSING","fields":["Account__c"]}]`},
		}}
}

func cbKeyInvalid(id string, _ time.Time) *subjects.Failure {
	return &subjects.Failure{Stage: subjects.StagePerform, Message: "Chargebee answered 401 api_key_invalid",
		HTTP: &subjects.HTTPExchange{
			Request: &subjects.HTTPRequest{Method: "POST", URL: "https://globex.chargebee.com/api/v2/invoices/create_for_charge_items_and_charges?api_key=live_7f3kq9demo",
				Headers: header("Authorization", "Basic bGl2ZV83ZjNrcTlkZW1vOg==", "Content-Type", "application/x-www-form-urlencoded"),
				Body:    subjects.Body("customer_id=globex&currency_code=USD&item_prices[item_price_id][0]=api-calls-USD&item_prices[unit_price][0]=12000&invoice_note=" + id)},
			Response: &subjects.HTTPResponse{Status: 401, Headers: header("Content-Type", "application/json;charset=utf-8"),
				Body: `{"message":"Sorry, authentication failed. Invalid api key","type":"invalid_request","api_error_code":"api_authentication_failed","error_code":"api_key_invalid","error_msg":"Sorry, authentication failed. Invalid api key","http_status_code":401}`},
		}}
}

func cbCurrency(id string, _ time.Time) *subjects.Failure {
	return &subjects.Failure{Stage: subjects.StagePerform, Message: "currency_code : GBP is not enabled for this site",
		HTTP: &subjects.HTTPExchange{
			Request: &subjects.HTTPRequest{Method: "POST", URL: "https://globex.chargebee.com/api/v2/invoices/create_for_charge_items_and_charges",
				Headers: header("Authorization", "Basic bGl2ZV9uZXdrZXk5ZGVtbzo=", "Content-Type", "application/x-www-form-urlencoded"),
				Body:    subjects.Body("customer_id=globex-uk&currency_code=GBP&item_prices[item_price_id][0]=api-calls-GBP&item_prices[unit_price][0]=8400&invoice_note=" + id)},
			Response: &subjects.HTTPResponse{Status: 400, Headers: header("Content-Type", "application/json;charset=utf-8"),
				Body: `{"message":"currency_code : GBP is not enabled for this site","type":"invalid_request","api_error_code":"invalid_request","param":"currency_code","error_code":"param_wrong_value","error_msg":"GBP is not enabled for this site","http_status_code":400}`},
		}}
}

func nsNoCustomer(id string, _ time.Time) *subjects.Failure {
	return &subjects.Failure{Stage: subjects.StageMap, Message: fmt.Sprintf("no NetSuite customer is mapped to m3ter Account %s", id),
		Mapping: &subjects.Mapping{M3terEntity: "Account", M3terID: id, ExternalSystem: "NetSuite", ExternalTable: "customer"}}
}

func nsLoginRevoked(string, time.Time) *subjects.Failure {
	return &subjects.Failure{Stage: subjects.StageAuthenticate, Message: "NetSuite rejected the token-based authentication: INVALID_LOGIN_ATTEMPT (token revoked)",
		HTTP: &subjects.HTTPExchange{
			Request: &subjects.HTTPRequest{Method: "GET", URL: "https://1234567.suitetalk.api.netsuite.com/services/rest/record/v1/customer?limit=1",
				Headers: header("Authorization", `OAuth realm="1234567",oauth_consumer_key="ck9demo2f7a",oauth_token="tk9demo51c0",oauth_signature_method="HMAC-SHA256",oauth_signature="c2lnOWRlbW8%3D"`)},
			Response: &subjects.HTTPResponse{Status: 401, Headers: header("Content-Type", "application/vnd.oracle.resource+json; type=error"),
				Body: `{"type":"https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2","title":"Unauthorized","status":401,"o:errorDetails":[{"detail":"Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail.","o:errorCode":"INVALID_LOGIN"}]}`},
		}}
}

func xeroTokenExpired(string, time.Time) *subjects.Failure {
	return &subjects.Failure{Stage: subjects.StageAuthenticate, Message: "Xero's identity service answered invalid_grant when the integration renewed its access token",
		HTTP: &subjects.HTTPExchange{
			Request: &subjects.HTTPRequest{Method: "POST", URL: "https://identity.xero.com/connect/token",
				Headers: header("Authorization", "Basic eGVyb2NsaWVudDp4ZXJvc2VjcmV0OWRlbW8=", "Content-Type", "application/x-www-form-urlencoded"),
				Body:    "grant_type=refresh_token&refresh_token=rt9demo8c1e77a2b"},
			Response: &subjects.HTTPResponse{Status: 400, Headers: header("Content-Type", "application/json"), Body: `{"error":"invalid_grant"}`},
		}}
}

func stripeCardDeclined(id string, _ time.Time) *subjects.Failure {
	return &subjects.Failure{Stage: subjects.StagePerform, Message: "card_declined: Your card has insufficient funds.",
		HTTP: &subjects.HTTPExchange{
			Request: &subjects.HTTPRequest{Method: "POST", URL: "https://api.stripe.com/v1/invoices/" + id + "/pay",
				Headers: header("Authorization", "Bearer sk_live_51Hdemo9xStripeKey", "Idempotency-Key", "m3ter-"+id, "Stripe-Version", "2024-06-20")},
			Response: &subjects.HTTPResponse{Status: 402, Headers: header("Content-Type", "application/json", "Request-Id", "req_Hq8Zt2vY"),
				Body: `{"error":{"code":"card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds.","type":"card_error"}}`},
		}}
}

func stripeRateLimit(id string, _ time.Time) *subjects.Failure {
	return &subjects.Failure{Stage: subjects.StagePerform, Message: "rate_limit: Too many requests hit the API too quickly.",
		HTTP: &subjects.HTTPExchange{
			Request: &subjects.HTTPRequest{Method: "POST", URL: "https://api.stripe.com/v1/invoiceitems",
				Headers: header("Authorization", "Bearer sk_live_51Hdemo9xStripeKey", "Content-Type", "application/x-www-form-urlencoded"),
				Body:    subjects.Body("customer=cus_QbF7x2&amount=4200&currency=usd&description=" + id)},
			Response: &subjects.HTTPResponse{Status: 429, Headers: header("Content-Type", "application/json", "Retry-After", "2"),
				Body: `{"error":{"code":"rate_limit","message":"Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.","type":"invalid_request_error"}}`},
		}}
}

func stripeNoCustomer(string, time.Time) *subjects.Failure {
	return &subjects.Failure{Stage: subjects.StageMap, Message: "no Stripe customer is mapped to m3ter Account acct-7781",
		Mapping: &subjects.Mapping{M3terEntity: "Account", M3terID: "acct-7781", ExternalSystem: "Stripe", ExternalTable: "customer"}}
}

func qbDuplicateName(id string, at time.Time) *subjects.Failure {
	return &subjects.Failure{Stage: subjects.StagePerform, Message: "Duplicate Name Exists Error: Another customer is already using this name",
		HTTP: &subjects.HTTPExchange{
			Request: &subjects.HTTPRequest{Method: "POST", URL: "https://quickbooks.api.intuit.com/v3/company/9130357992816/customer?minorversion=73",
				Headers: header("Authorization", "Bearer eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0..demo", "Accept", "application/json", "Content-Type", "application/json"),
				Body:    subjects.Body(fmt.Sprintf(`{"DisplayName":"Wayne Enterprises","CompanyName":"Wayne Enterprises","PrimaryEmailAddr":{"Address":"ap@wayne.example"},"Notes":%q}`, id))},
			Response: &subjects.HTTPResponse{Status: 400, Headers: header("Content-Type", "application/json", "intuit_tid", "1-6f2c0e41-9c2e"),
				Body: subjects.Body(fmt.Sprintf(`{"Fault":{"Error":[{"Message":"Duplicate Name Exists Error","Detail":"The name supplied already exists. : Another customer is already using this name","code":"6240","element":""}],"type":"ValidationFault"},"time":%q}`, at.Format("2006-01-02T15:04:05.000-07:00")))},
		}}
}

func qbNoTaxCode(id string, _ time.Time) *subjects.Failure {
	return &subjects.Failure{Stage: subjects.StageValidate,
		Message: fmt.Sprintf("Bill %s line 2 (API calls, overage) has no tax code; QuickBooks requires a TaxCodeRef on every line when the company uses automated sales tax", id)}
}

func qbNoItem(string, time.Time) *subjects.Failure {
	return &subjects.Failure{Stage: subjects.StageMap, Message: "no QuickBooks Item is mapped to m3ter Product prod-api-calls",
		Mapping: &subjects.Mapping{M3terEntity: "Product", M3terID: "prod-api-calls", ExternalSystem: "QuickBooks", ExternalTable: "Item"}}
}
