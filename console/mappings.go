package console

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/integration-events/integration-events/operator"
	"github.com/integration-events/integration-events/subjects"
)

// mappingFields are the create form's inputs, named as m3ter names them.
var mappingFields = []mappingField{
	{Name: "m3terEntity", Label: "m3ter entity", Hint: "the m3ter entity type, such as Account", Key: true},
	{Name: "m3terId", Label: "m3ter id", Hint: "the entity's id in m3ter", Key: true},
	{Name: "externalSystem", Label: "External system", Hint: "such as Salesforce, Stripe or NetSuite", Key: true},
	{Name: "externalTable", Label: "External table", Hint: "the table holding the record, such as Account or Customer"},
	{Name: "externalId", Label: "External id", Hint: "the record's id in the external system"},
	{Name: "integrationConfigId", Label: "Integration", Hint: "the integration id the mapping is for"},
}

type mappingField struct {
	Name, Label, Hint string
	// Key marks the parts of the external_mappings key: A-Z, a-z, 0-9,
	// _, -, = and / only.
	Key bool
}

// formField is a mappingField with its value and whether the error names it.
type formField struct {
	mappingField
	Value   string
	Invalid bool
	// Focus puts the cursor here: the field at fault, else the first
	// empty one (externalId, when the follow-up prefilled the rest).
	Focus bool
}

type mappingFormView struct {
	layout
	Fields []formField
	// Problem is why the last submit was refused; it is shown in the form.
	Problem string
}

type mappingsView struct {
	layout
	Rows     []mappingRow
	NextURL  string
	FirstURL string
}

type mappingRow struct {
	subjects.ExternalMapping
	Key string
	New bool
}

func (c *Console) mappingsPage(w http.ResponseWriter, r *http.Request, who string) {
	q := r.URL.Query()
	token, created := q.Get("nextToken"), q.Get("created")
	v := mappingsView{layout: c.frame("External mappings", "mappings", who)}
	page, err := c.svc.ListExternalMappings(r.Context(), subjects.ListExternalMappingsRequest{PageSize: ListPageSize, NextToken: token}, pageBudget)
	if status, ok := c.listError(w, r, err, &v.layout); !ok {
		c.render(w, status, "mappings", v)
		return
	} else if err != nil {
		return
	}
	for _, m := range page.Data {
		key, _ := m.Key()
		row := mappingRow{ExternalMapping: m, Key: key, New: created != "" && key == created}
		if row.New {
			v.Flash = "Created external mapping " + key + "."
		}
		v.Rows = append(v.Rows, row)
	}
	// The new mapping may sort onto a later page; the flash still says so.
	if created != "" && v.Flash == "" && validMappingKey(created) {
		v.Flash = "Created external mapping " + created + "; mappings are listed in key order."
	}
	v.NextURL, v.FirstURL = pagerURLs("/external-mappings", token, page.NextToken)
	c.render(w, http.StatusOK, "mappings", v)
}

// validMappingKey reports whether key is one a mapping could have, so a
// crafted link cannot put arbitrary text in the flash.
func validMappingKey(key string) bool {
	parts := strings.Split(key, ".")
	if len(parts) != 3 {
		return false
	}
	_, err := subjects.MappingKey(parts[0], parts[1], parts[2])
	return err == nil
}

func (c *Console) mappingForm(w http.ResponseWriter, r *http.Request, who string) {
	v := mappingFormView{layout: c.frame("Create external mapping", "mappings", who)}
	v.Fields = formFields(r.URL.Query(), "")
	c.render(w, http.StatusOK, "mapping-new", v)
}

// createMapping creates the mapping the form holds as the caller: on
// success the list, on a refusal the form again with the reason and the
// values kept.
func (c *Console) createMapping(w http.ResponseWriter, r *http.Request, who string) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		c.fail(w, r, &operator.Error{Status: http.StatusBadRequest, Message: "the form could not be read"})
		return
	}
	f := r.PostForm
	req := subjects.CreateExternalMappingRequest{
		M3terEntity: f.Get("m3terEntity"), M3terID: f.Get("m3terId"), ExternalSystem: f.Get("externalSystem"),
		ExternalTable: f.Get("externalTable"), ExternalID: f.Get("externalId"), IntegrationConfigID: f.Get("integrationConfigId"),
		CreatedBy: who,
	}
	m, err := c.svc.CreateExternalMapping(r.Context(), req, pageBudget)
	var oe *operator.Error
	if errors.As(err, &oe) && oe.Status == http.StatusBadRequest {
		v := mappingFormView{layout: c.frame("Create external mapping", "mappings", who)}
		v.Problem = oe.Message
		v.Fields = formFields(f, oe.Message)
		c.render(w, http.StatusBadRequest, "mapping-new", v)
		return
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	key, _ := m.Key()
	http.Redirect(w, r, "/external-mappings?"+url.Values{"created": {key}}.Encode(), http.StatusSeeOther)
}

// formFields are the form's inputs holding vals; the field msg names
// first (the service names the field at fault first) is marked invalid.
func formFields(vals url.Values, msg string) []formField {
	out := make([]formField, 0, len(mappingFields))
	for _, mf := range mappingFields {
		out = append(out, formField{mappingField: mf, Value: vals.Get(mf.Name)})
	}
	best, at := -1, len(msg)
	for i, ff := range out {
		if j := indexWord(msg, ff.Name); msg != "" && j >= 0 && j < at {
			best, at = i, j
		}
	}
	if best >= 0 {
		out[best].Invalid, out[best].Focus = true, true
		return out
	}
	for i := range out {
		if out[i].Value == "" {
			out[i].Focus = true
			break
		}
	}
	return out
}

// indexWord is the index of name in s as a whole word, or -1.
func indexWord(s, name string) int {
	for off := 0; ; {
		i := strings.Index(s[off:], name)
		if i < 0 {
			return -1
		}
		i += off
		end := i + len(name)
		if (i == 0 || !isWordByte(s[i-1])) && (end == len(s) || !isWordByte(s[end])) {
			return i
		}
		off = end
	}
}

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_'
}
