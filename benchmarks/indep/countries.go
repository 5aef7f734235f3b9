package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// A city of a country with its telephone area code (national, without the
// trunk prefix) and the number of subscriber digits there.
type city struct {
	name  string
	alt   string // another spelling people use ("Munich" for "München"), or ""
	state string
	area  string
	sub   int
}

// A country: how its names, firms, phone numbers and cities look.
type country struct {
	code     string   // ISO 3166 alpha-2
	names    []string // how a CRM or a profile writes it
	tld      string
	cc       string // calling code
	legal    []string
	stems    []string
	words    []string
	pattern  []string // company name patterns: S stem, W word, F family name, C city
	origins  map[string]int
	cities   []city
	mobile   []string // mobile prefixes (national, without trunk prefix)
	mobSub   int
	trunk    string // national trunk prefix, "" when none (Italy keeps its 0 in the area)
	phoneFmt []func(cc, trunk, area, sub string) string
	post     func(r *rand.Rand) string
	streets  []string
}

func digits(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	if n > 0 {
		b[0] = byte('2' + r.IntN(7))
	}
	return string(b)
}

// split groups s in parts of the given sizes, the last taking the rest.
func split(s, sep string, sizes ...int) string {
	var parts []string
	for _, n := range sizes {
		if len(s) <= n {
			break
		}
		parts = append(parts, s[:n])
		s = s[n:]
	}
	parts = append(parts, s)
	return strings.Join(parts, sep)
}

func halves(s, sep string) string { return split(s, sep, len(s)/2) }

func pairs(s string) string {
	var parts []string
	for len(s) > 2 {
		parts = append(parts, s[:2])
		s = s[2:]
	}
	return strings.Join(append(parts, s), " ")
}

var nanpFmt = []func(cc, trunk, area, sub string) string{
	func(cc, t, a, s string) string { return "(" + a + ") " + s[:3] + "-" + s[3:] },
	func(cc, t, a, s string) string { return a + "-" + s[:3] + "-" + s[3:] },
	func(cc, t, a, s string) string { return "+1 " + a + " " + s[:3] + " " + s[3:] },
	func(cc, t, a, s string) string { return a + "." + s[:3] + "." + s[3:] },
	func(cc, t, a, s string) string { return "+1 (" + a + ") " + s[:3] + "-" + s[3:] },
	func(cc, t, a, s string) string { return "1-" + a + "-" + s[:3] + "-" + s[3:] },
}

// European-style formats: international with spaces, national with the
// trunk prefix, international with "(0)", compact E.164.
var euroFmt = []func(cc, trunk, area, sub string) string{
	func(cc, t, a, s string) string { return "+" + cc + " " + a + " " + halves(s, " ") },
	func(cc, t, a, s string) string { return t + a + " " + halves(s, " ") },
	func(cc, t, a, s string) string { return "+" + cc + " (" + t + ")" + a + " " + s },
	func(cc, t, a, s string) string { return "+" + cc + a + s },
	func(cc, t, a, s string) string { return t + a + "-" + s },
}

func usPost(r *rand.Rand) string { return fmt.Sprintf("%05d", 10000+r.IntN(89999)) }
func dePost(r *rand.Rand) string { return fmt.Sprintf("%05d", 1000+r.IntN(98000)) }

var countries = []country{
	{
		code: "US", names: []string{"United States", "USA", "US", "United States of America"}, tld: "com", cc: "1",
		legal: []string{"Inc.", "Inc.", "LLC", "Corp.", "Corporation", "Co.", "L.P."},
		stems: []string{"Summit", "Harbor", "Pioneer", "Keystone", "Redwood", "Granite", "Beacon", "Meridian", "Silverline",
			"Evergreen", "Bluewater", "Ironbridge", "Lighthouse", "Crescent", "Sterling", "Cobalt", "Falcon", "Pinnacle",
			"Vanguard", "Oakridge", "Riverside", "Liberty", "Frontier", "Tidewater", "Copperfield", "Lone Star", "Bay Area",
			"Prairie", "Cascade", "Sagebrush", "Magnolia", "Great Lakes", "Blue Ridge", "Red Rock"},
		words: []string{"Analytics", "Logistics", "Health", "Capital", "Partners", "Systems", "Software", "Labs", "Energy",
			"Foods", "Manufacturing", "Consulting", "Insurance", "Biotech", "Media", "Networks", "Robotics", "Materials",
			"Solutions", "Technologies", "Pharmaceuticals", "Holdings", "Ventures", "Industries", "Dynamics", "Financial",
			"Engineering", "Security", "Brands", "Medical Devices"},
		pattern: []string{"S W", "S W", "S W", "F & F", "F W", "S", "S W Group"},
		origins: map[string]int{"english": 40, "irish": 5, "spanish": 12, "chinese": 7, "indian": 9, "german": 3, "italian": 4,
			"korean": 3, "arabic": 3, "vietnamese": 3, "nigerian": 3, "russian": 3, "polish": 2, "japanese": 2, "french": 1},
		cities: []city{{"New York", "New York City", "NY", "212", 7}, {"San Francisco", "SF", "CA", "415", 7}, {"Chicago", "", "IL", "312", 7},
			{"Boston", "", "MA", "617", 7}, {"Austin", "", "TX", "512", 7}, {"Seattle", "", "WA", "206", 7}, {"Atlanta", "", "GA", "404", 7},
			{"Denver", "", "CO", "303", 7}, {"Dallas", "", "TX", "214", 7}, {"San Jose", "", "CA", "408", 7}, {"Raleigh", "", "NC", "919", 7},
			{"Minneapolis", "", "MN", "612", 7}},
		phoneFmt: nanpFmt, post: usPost,
		streets: []string{"Main Street", "Market Street", "Broadway", "5th Avenue", "Elm Street", "Commerce Drive", "Park Avenue", "Congress Avenue"},
	},
	{
		code: "GB", names: []string{"United Kingdom", "UK", "GB", "Great Britain", "England"}, tld: "co.uk", cc: "44", trunk: "0",
		legal: []string{"Ltd", "Ltd", "Limited", "plc", "LLP"},
		stems: []string{"Thames", "Pennine", "Albion", "Kingsway", "Wessex", "Cotswold", "Mersey", "Highgate", "Ashdown", "Northgate",
			"Windermere", "Bramley", "Hadrian", "Severn", "Chiltern"},
		words: []string{"Consulting", "Engineering", "Analytics", "Logistics", "Insurance", "Capital", "Software", "Estates",
			"Energy", "Foods", "Group", "Systems", "Media", "Healthcare", "Partners"},
		pattern: []string{"S W", "S W", "F & F", "F W", "S"},
		origins: map[string]int{"english": 55, "irish": 10, "indian": 12, "arabic": 5, "polish": 5, "nigerian": 5, "chinese": 3, "french": 2, "italian": 2},
		cities: []city{{"London", "Greater London", "England", "20", 8}, {"Manchester", "", "England", "161", 7}, {"Edinburgh", "", "Scotland", "131", 7},
			{"Birmingham", "", "England", "121", 7}, {"Bristol", "", "England", "117", 7}, {"Leeds", "", "England", "113", 7}},
		mobile: []string{"7700", "7911", "7825", "7480"}, mobSub: 6,
		phoneFmt: euroFmt, post: func(r *rand.Rand) string {
			return fmt.Sprintf("%c%c%d %d%c%c", 'A'+r.IntN(26), 'A'+r.IntN(26), 1+r.IntN(20), r.IntN(10), 'A'+r.IntN(26), 'A'+r.IntN(26))
		},
		streets: []string{"High Street", "Station Road", "King's Road", "Victoria Street", "Church Lane", "Mill Lane"},
	},
	{
		code: "DE", names: []string{"Germany", "Deutschland", "DE"}, tld: "de", cc: "49", trunk: "0",
		legal: []string{"GmbH", "GmbH", "GmbH", "AG", "GmbH & Co. KG", "SE", "KG"},
		stems: []string{"Nordwerk", "Rheintal", "Alpen", "Elbe", "Hansa", "Schwarzwald", "Weser", "Isar", "Sonnen", "Stahl",
			"Falken", "Tauber", "Mosel", "Bodensee", "Eifel", "Harz", "Spree", "Neckar"},
		words: []string{"Maschinenbau", "Logistik", "Technik", "Systeme", "Werkzeuge", "Software", "Energie", "Automation",
			"Medizintechnik", "Verpackung", "Holding", "Bau", "Elektronik", "Antriebstechnik", "Versicherung"},
		pattern: []string{"S W", "S W", "SW", "F W", "F & F", "F"},
		origins: map[string]int{"german": 70, "polish": 6, "russian": 6, "arabic": 4, "italian": 3, "english": 4, "spanish": 2, "chinese": 2, "nordic": 1},
		cities: []city{{"Berlin", "", "Berlin", "30", 8}, {"München", "Munich", "Bayern", "89", 8}, {"Hamburg", "", "Hamburg", "40", 8},
			{"Frankfurt am Main", "Frankfurt", "Hessen", "69", 8}, {"Köln", "Cologne", "Nordrhein-Westfalen", "221", 7},
			{"Stuttgart", "", "Baden-Württemberg", "711", 7}, {"Düsseldorf", "Dusseldorf", "Nordrhein-Westfalen", "211", 7}},
		mobile: []string{"151", "160", "170", "176"}, mobSub: 8,
		phoneFmt: append(euroFmt[:4:4], func(cc, t, a, s string) string { return t + a + "/" + s }), post: dePost,
		streets: []string{"Hauptstraße", "Bahnhofstraße", "Industriestraße", "Schillerstraße", "Am Markt", "Goethestraße"},
	},
	{
		code: "FR", names: []string{"France", "FR"}, tld: "fr", cc: "33", trunk: "0",
		legal: []string{"SAS", "SAS", "SA", "SARL"},
		stems: []string{"Lumière", "Atlantique", "Provence", "Mistral", "Saint-Clair", "Beaulieu", "Valmont", "Loire", "Corbières",
			"Fontaine", "Bellerive", "Rivoli", "Garonne", "Vercors"},
		words: []string{"Conseil", "Industries", "Technologies", "Services", "Ingénierie", "Distribution", "Énergie", "Santé",
			"Logistique", "Informatique", "Assurances"},
		pattern: []string{"S W", "Groupe S", "S W", "F & Associés", "Société F"},
		origins: map[string]int{"french": 75, "arabic": 10, "spanish": 4, "italian": 4, "english": 3, "nigerian": 2, "vietnamese": 2},
		cities: []city{{"Paris", "", "Île-de-France", "1", 8}, {"Lyon", "", "Auvergne-Rhône-Alpes", "4", 8},
			{"Marseille", "", "Provence-Alpes-Côte d'Azur", "4", 8}, {"Toulouse", "", "Occitanie", "5", 8}, {"Lille", "", "Hauts-de-France", "3", 8}},
		mobile: []string{"6", "7"}, mobSub: 8,
		phoneFmt: []func(cc, trunk, area, sub string) string{
			func(cc, t, a, s string) string { return "+33 " + a + " " + pairs(s) },
			func(cc, t, a, s string) string { return "0" + a + " " + pairs(s) },
			func(cc, t, a, s string) string { return strings.ReplaceAll("0"+a+" "+pairs(s), " ", ".") },
			func(cc, t, a, s string) string { return "+33 (0)" + a + " " + pairs(s) },
		},
		post:    dePost,
		streets: []string{"Rue de la République", "Avenue des Champs-Élysées", "Boulevard Haussmann", "Rue Victor Hugo", "Rue de Rivoli"},
	},
	{
		code: "ES", names: []string{"Spain", "España", "ES"}, tld: "es", cc: "34",
		legal: []string{"S.L.", "S.L.", "S.A.", "S.L.U."},
		stems: []string{"Sierra Nevada", "Alhambra", "Costa Verde", "Solana", "Duero", "Ebro", "Mirador", "Torreblanca", "Cantábrica",
			"Guadalquivir", "Levante", "Meseta"},
		words:   []string{"Ingeniería", "Logística", "Consultores", "Tecnologías", "Energía", "Alimentos", "Construcciones", "Servicios", "Soluciones"},
		pattern: []string{"S W", "Grupo S", "F y F", "S W"},
		origins: map[string]int{"spanish": 85, "english": 4, "arabic": 4, "french": 3, "italian": 3, "portuguese": 1},
		cities: []city{{"Madrid", "", "Comunidad de Madrid", "91", 7}, {"Barcelona", "", "Cataluña", "93", 7}, {"Valencia", "València", "Comunidad Valenciana", "96", 7},
			{"Sevilla", "Seville", "Andalucía", "95", 7}, {"Bilbao", "", "País Vasco", "94", 7}},
		mobile: []string{"6"}, mobSub: 8,
		phoneFmt: []func(cc, trunk, area, sub string) string{
			func(cc, t, a, s string) string { return "+34 " + split(a+s, " ", 3, 3) },
			func(cc, t, a, s string) string { return split(a+s, " ", 3, 2, 2) },
			func(cc, t, a, s string) string { return a + " " + split(s, " ", 3, 2) },
			func(cc, t, a, s string) string { return "+34" + a + s },
		},
		post:    dePost,
		streets: []string{"Calle Mayor", "Gran Vía", "Paseo de la Castellana", "Avenida Diagonal", "Calle de Alcalá"},
	},
	{
		code: "IT", names: []string{"Italy", "Italia", "IT"}, tld: "it", cc: "39",
		legal:   []string{"S.p.A.", "S.r.l.", "S.r.l."},
		stems:   []string{"Adriatica", "Dolomiti", "Ligure", "Vesuvio", "Brenta", "Tirreno", "Arno", "Monviso", "Euganea", "Lariana", "Sabauda"},
		words:   []string{"Industrie", "Meccanica", "Sistemi", "Tecnologie", "Costruzioni", "Alimentari", "Servizi", "Engineering", "Logistica"},
		pattern: []string{"S W", "F W", "F & Figli", "S"},
		origins: map[string]int{"italian": 85, "english": 4, "arabic": 3, "spanish": 4, "polish": 2},
		cities: []city{{"Milano", "Milan", "Lombardia", "02", 8}, {"Roma", "Rome", "Lazio", "06", 8}, {"Torino", "Turin", "Piemonte", "011", 7},
			{"Bologna", "", "Emilia-Romagna", "051", 7}, {"Napoli", "Naples", "Campania", "081", 7}},
		mobile: []string{"347", "333", "320"}, mobSub: 7,
		phoneFmt: []func(cc, trunk, area, sub string) string{
			func(cc, t, a, s string) string { return "+39 " + a + " " + halves(s, " ") },
			func(cc, t, a, s string) string { return a + " " + s },
			func(cc, t, a, s string) string { return a + "-" + halves(s, " ") },
			func(cc, t, a, s string) string { return "+39" + a + s },
		},
		post:    dePost,
		streets: []string{"Via Roma", "Corso Vittorio Emanuele II", "Via Garibaldi", "Via Dante", "Piazza del Duomo"},
	},
	{
		code: "NL", names: []string{"Netherlands", "The Netherlands", "Nederland", "NL"}, tld: "nl", cc: "31", trunk: "0",
		legal:   []string{"B.V.", "B.V.", "B.V.", "N.V."},
		stems:   []string{"Polder", "Zeeland", "Amstel", "Noordzee", "Delta", "Veluwe", "Oranje", "Molenwaard", "Lingewaard", "IJssel"},
		words:   []string{"Logistiek", "Techniek", "Groep", "Advies", "Systemen", "Installaties", "Software", "Energie", "Bouw"},
		pattern: []string{"S W", "S W", "F W", "F & F"},
		origins: map[string]int{"dutch": 70, "english": 6, "german": 6, "arabic": 6, "indian": 4, "chinese": 2, "polish": 2},
		cities: []city{{"Amsterdam", "", "Noord-Holland", "20", 7}, {"Rotterdam", "", "Zuid-Holland", "10", 7}, {"Utrecht", "", "Utrecht", "30", 7},
			{"Eindhoven", "", "Noord-Brabant", "40", 7}, {"Den Haag", "The Hague", "Zuid-Holland", "70", 7}},
		mobile: []string{"6"}, mobSub: 8,
		phoneFmt: euroFmt, post: func(r *rand.Rand) string {
			return fmt.Sprintf("%d %c%c", 1000+r.IntN(8999), 'A'+r.IntN(26), 'A'+r.IntN(26))
		},
		streets: []string{"Keizersgracht", "Stationsplein", "Kerkstraat", "Dorpsstraat", "Herengracht"},
	},
	{
		code: "SE", names: []string{"Sweden", "Sverige", "SE"}, tld: "se", cc: "46", trunk: "0",
		legal:   []string{"AB", "AB", "AB (publ)"},
		stems:   []string{"Norrsken", "Fjäll", "Skog", "Stjärn", "Vind", "Älv", "Sjö", "Kust", "Granit", "Björk"},
		words:   []string{"Teknik", "Verktyg", "Data", "System", "Energi", "Konsult", "Bygg", "Logistik", "Medical"},
		pattern: []string{"SW", "S W", "F W"},
		origins: map[string]int{"nordic": 75, "english": 6, "arabic": 6, "polish": 4, "russian": 3, "german": 3, "chinese": 1},
		cities: []city{{"Stockholm", "", "Stockholms län", "8", 7}, {"Göteborg", "Gothenburg", "Västra Götaland", "31", 7}, {"Malmö", "Malmo", "Skåne", "40", 7},
			{"Uppsala", "", "Uppsala län", "18", 7}},
		mobile: []string{"70", "72", "73"}, mobSub: 7,
		phoneFmt: euroFmt, post: func(r *rand.Rand) string { return fmt.Sprintf("%03d %02d", 100+r.IntN(899), r.IntN(100)) },
		streets: []string{"Drottninggatan", "Storgatan", "Kungsgatan", "Sveavägen"},
	},
	{
		code: "JP", names: []string{"Japan", "JP"}, tld: "co.jp", cc: "81", trunk: "0",
		legal:   []string{"Co., Ltd.", "Co., Ltd.", "K.K.", "Corporation"},
		stems:   []string{"Fuji", "Sakura", "Asahi", "Hoshino", "Yamato", "Taiyo", "Midori", "Shinsei", "Kyowa", "Daiichi", "Tokai", "Hokuriku"},
		words:   []string{"Seiki", "Denki", "Kogyo", "Shoji", "Systems", "Electronics", "Pharma", "Logistics", "Trading", "Engineering"},
		pattern: []string{"S W", "F W", "S W"},
		origins: map[string]int{"japanese": 90, "english": 4, "korean": 3, "chinese": 3},
		cities: []city{{"Tokyo", "", "Tokyo", "3", 8}, {"Osaka", "", "Osaka", "6", 8}, {"Nagoya", "", "Aichi", "52", 7},
			{"Yokohama", "", "Kanagawa", "45", 7}, {"Fukuoka", "", "Fukuoka", "92", 7}},
		mobile: []string{"90", "80"}, mobSub: 8,
		phoneFmt: []func(cc, trunk, area, sub string) string{
			func(cc, t, a, s string) string { return "+81 " + a + "-" + split(s, "-", len(s)-4) },
			func(cc, t, a, s string) string { return "0" + a + "-" + split(s, "-", len(s)-4) },
			func(cc, t, a, s string) string { return "(0" + a + ") " + split(s, "-", len(s)-4) },
			func(cc, t, a, s string) string { return "+81 " + a + " " + split(s, " ", len(s)-4) },
		},
		post:    func(r *rand.Rand) string { return fmt.Sprintf("%03d-%04d", 100+r.IntN(899), r.IntN(10000)) },
		streets: []string{"1-2-3 Marunouchi", "4-5-6 Umeda", "2-1-1 Nihonbashi", "3-7-1 Nishi-Shinjuku"},
	},
	{
		code: "IN", names: []string{"India", "IN"}, tld: "in", cc: "91", trunk: "0",
		legal:   []string{"Pvt. Ltd.", "Private Limited", "Ltd.", "Pvt Ltd"},
		stems:   []string{"Shree", "Bharat", "Sahyadri", "Kaveri", "Ganga", "Indus", "Deccan", "Suryodaya", "Lotus", "Navrang", "Trident", "Nilgiri"},
		words:   []string{"Technologies", "Infotech", "Industries", "Solutions", "Pharma", "Textiles", "Engineering", "Logistics", "Software", "Consultancy Services"},
		pattern: []string{"S W", "S W", "F W", "F & Sons"},
		origins: map[string]int{"indian": 92, "english": 4, "arabic": 2},
		cities: []city{{"Bengaluru", "Bangalore", "Karnataka", "80", 8}, {"Mumbai", "Bombay", "Maharashtra", "22", 8}, {"Pune", "", "Maharashtra", "20", 8},
			{"Chennai", "Madras", "Tamil Nadu", "44", 8}, {"Hyderabad", "", "Telangana", "40", 8}, {"Gurugram", "Gurgaon", "Haryana", "124", 7}},
		mobile: []string{"98", "99", "97", "90"}, mobSub: 8,
		phoneFmt: []func(cc, trunk, area, sub string) string{
			func(cc, t, a, s string) string { return "+91 " + a + " " + halves(s, " ") },
			func(cc, t, a, s string) string { return "0" + a + " " + halves(s, " ") },
			func(cc, t, a, s string) string { return "0" + a + "-" + s },
			func(cc, t, a, s string) string { return "+91-" + a + "-" + s },
		},
		post:    func(r *rand.Rand) string { return fmt.Sprintf("%06d", 110000+r.IntN(800000)) },
		streets: []string{"MG Road", "Outer Ring Road", "Bannerghatta Road", "Nariman Point", "Hinjewadi Phase 2"},
	},
	{
		code: "BR", names: []string{"Brazil", "Brasil", "BR"}, tld: "com.br", cc: "55",
		legal:   []string{"Ltda.", "Ltda.", "S.A."},
		stems:   []string{"Paulista", "Cerrado", "Atlântica", "Guanabara", "Ipê", "Aurora", "Pantanal", "Serra Azul", "Tropical", "Horizonte"},
		words:   []string{"Tecnologia", "Logística", "Engenharia", "Alimentos", "Consultoria", "Sistemas", "Energia", "Serviços"},
		pattern: []string{"S W", "F W", "S"},
		origins: map[string]int{"portuguese": 75, "italian": 8, "spanish": 6, "japanese": 4, "german": 4, "arabic": 3},
		cities: []city{{"São Paulo", "Sao Paulo", "SP", "11", 8}, {"Rio de Janeiro", "Rio", "RJ", "21", 8}, {"Belo Horizonte", "", "MG", "31", 8},
			{"Curitiba", "", "PR", "41", 8}, {"Porto Alegre", "", "RS", "51", 8}},
		mobile: []string{"11", "21"}, mobSub: 9,
		phoneFmt: []func(cc, trunk, area, sub string) string{
			func(cc, t, a, s string) string { return "+55 " + a + " " + split(s, "-", len(s)-4) },
			func(cc, t, a, s string) string { return "(" + a + ") " + split(s, "-", len(s)-4) },
			func(cc, t, a, s string) string { return a + " " + split(s, " ", len(s)-4) },
			func(cc, t, a, s string) string { return "+55 (" + a + ") " + split(s, "-", len(s)-4) },
		},
		post:    func(r *rand.Rand) string { return fmt.Sprintf("%05d-%03d", 10000+r.IntN(89999), r.IntN(1000)) },
		streets: []string{"Avenida Paulista", "Rua Augusta", "Avenida Atlântica", "Rua da Consolação"},
	},
	{
		code: "AU", names: []string{"Australia", "AU"}, tld: "com.au", cc: "61", trunk: "0",
		legal:   []string{"Pty Ltd", "Pty Ltd", "Pty. Limited", "Ltd"},
		stems:   []string{"Southern Cross", "Coral", "Outback", "Harbourside", "Wattle", "Eucalypt", "Murray", "Kookaburra", "Tasman", "Bondi"},
		words:   []string{"Mining", "Logistics", "Consulting", "Health", "Capital", "Software", "Energy", "Agriculture", "Engineering"},
		pattern: []string{"S W", "F W", "S W"},
		origins: map[string]int{"english": 55, "irish": 8, "chinese": 12, "indian": 8, "vietnamese": 5, "italian": 4, "korean": 2},
		cities:  []city{{"Sydney", "", "NSW", "2", 8}, {"Melbourne", "", "VIC", "3", 8}, {"Brisbane", "", "QLD", "7", 8}, {"Perth", "", "WA", "8", 8}},
		mobile:  []string{"4"}, mobSub: 8,
		phoneFmt: []func(cc, trunk, area, sub string) string{
			func(cc, t, a, s string) string { return "+61 " + a + " " + halves(s, " ") },
			func(cc, t, a, s string) string { return "(0" + a + ") " + halves(s, " ") },
			func(cc, t, a, s string) string { return "0" + a + " " + halves(s, " ") },
			func(cc, t, a, s string) string { return "+61 " + a + " " + s },
		},
		post:    func(r *rand.Rand) string { return fmt.Sprintf("%04d", 2000+r.IntN(4000)) },
		streets: []string{"George Street", "Collins Street", "Queen Street", "Pitt Street"},
	},
	{
		code: "CN", names: []string{"China", "CN", "People's Republic of China"}, tld: "cn", cc: "86", trunk: "0",
		legal:   []string{"Co., Ltd.", "Co., Ltd.", "Group Co., Ltd."},
		stems:   []string{"Huaxin", "Zhongtai", "Jinlong", "Tianyu", "Haorui", "Xinghe", "Dongfang", "Ruifeng", "Baisheng", "Kunlun"},
		words:   []string{"Technology", "Electronics", "Trading", "Manufacturing", "Pharmaceutical", "Logistics", "New Energy", "Software"},
		pattern: []string{"C S W", "S W", "S W"},
		origins: map[string]int{"chinese": 95, "english": 5},
		cities: []city{{"Shanghai", "", "Shanghai", "21", 8}, {"Beijing", "", "Beijing", "10", 8}, {"Shenzhen", "", "Guangdong", "755", 8},
			{"Guangzhou", "", "Guangdong", "20", 8}, {"Hangzhou", "", "Zhejiang", "571", 8}},
		mobile: []string{"138", "139", "186"}, mobSub: 8,
		phoneFmt: []func(cc, trunk, area, sub string) string{
			func(cc, t, a, s string) string { return "+86 " + a + " " + halves(s, " ") },
			func(cc, t, a, s string) string { return "0" + a + "-" + s },
			func(cc, t, a, s string) string { return "(0" + a + ") " + halves(s, " ") },
			func(cc, t, a, s string) string { return "+86-" + a + "-" + s },
		},
		post:    func(r *rand.Rand) string { return fmt.Sprintf("%06d", 100000+r.IntN(800000)) },
		streets: []string{"Nanjing Road", "Century Avenue", "Chang'an Avenue", "Shennan Boulevard"},
	},
	{
		code: "CA", names: []string{"Canada", "CA"}, tld: "ca", cc: "1",
		legal:   []string{"Inc.", "Ltd.", "Corp.", "Limited"},
		stems:   []string{"Maple", "Northern Lights", "Laurentian", "Rideau", "Fraser River", "Algonquin", "Boreal", "Muskoka", "Prairie Wind"},
		words:   []string{"Resources", "Software", "Logistics", "Financial", "Energy", "Health", "Consulting", "Foods"},
		pattern: []string{"S W", "F W", "S W"},
		origins: map[string]int{"english": 45, "french": 15, "chinese": 10, "indian": 10, "irish": 5, "italian": 3, "arabic": 3, "korean": 2},
		cities: []city{{"Toronto", "", "ON", "416", 7}, {"Vancouver", "", "BC", "604", 7}, {"Montréal", "Montreal", "QC", "514", 7},
			{"Calgary", "", "AB", "403", 7}, {"Ottawa", "", "ON", "613", 7}},
		phoneFmt: nanpFmt, post: func(r *rand.Rand) string {
			return fmt.Sprintf("%c%d%c %d%c%d", 'A'+r.IntN(26), r.IntN(10), 'A'+r.IntN(26), r.IntN(10), 'A'+r.IntN(26), r.IntN(10))
		},
		streets: []string{"Bay Street", "Yonge Street", "Rue Sainte-Catherine", "Granville Street"},
	},
	{
		code: "MX", names: []string{"Mexico", "México", "MX"}, tld: "com.mx", cc: "52",
		legal:   []string{"S.A. de C.V.", "S.A. de C.V.", "S. de R.L. de C.V."},
		stems:   []string{"Azteca", "Sierra Madre", "Bajío", "Anáhuac", "Maya", "Pacífico", "Huasteca", "Occidente"},
		words:   []string{"Logística", "Ingeniería", "Alimentos", "Construcciones", "Tecnologías", "Servicios Financieros", "Autopartes"},
		pattern: []string{"Grupo S", "S W", "F W"},
		origins: map[string]int{"spanish": 95, "english": 5},
		cities:  []city{{"Ciudad de México", "Mexico City", "CDMX", "55", 8}, {"Monterrey", "", "Nuevo León", "81", 8}, {"Guadalajara", "", "Jalisco", "33", 8}},
		mobile:  []string{"55", "81"}, mobSub: 8,
		phoneFmt: []func(cc, trunk, area, sub string) string{
			func(cc, t, a, s string) string { return "+52 " + a + " " + halves(s, " ") },
			func(cc, t, a, s string) string { return a + " " + halves(s, " ") },
			func(cc, t, a, s string) string { return "(" + a + ") " + halves(s, "-") },
			func(cc, t, a, s string) string { return "+52 (" + a + ") " + halves(s, " ") },
		},
		post:    usPost,
		streets: []string{"Paseo de la Reforma", "Avenida Insurgentes Sur", "Avenida Constitución"},
	},
}

// country weights of the org's Accounts.
var countryWeight = map[string]int{"US": 34, "GB": 10, "DE": 10, "FR": 6, "ES": 4, "IT": 4, "NL": 4, "SE": 3, "JP": 4, "IN": 6,
	"BR": 4, "AU": 4, "CN": 3, "CA": 4, "MX": 2}
