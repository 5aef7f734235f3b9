package main

import "strings"

// An origin is a naming tradition: given names (with the short forms and
// spellings people go by: "William=Bill,Will") and family names. The lists
// were written for this package, from general knowledge.
type origin struct {
	name   string
	male   []string
	female []string
	family []string
	// femaleFamily turns a family name into its feminine form (Slavic
	// surnames); nil: family names have one form.
	femaleFamily func(string) string
}

// givenName splits an entry "William=Bill,Will" into the name and its
// short forms.
func givenName(entry string) (name string, nicks []string) {
	name, rest, ok := strings.Cut(entry, "=")
	if ok {
		nicks = strings.Split(rest, ",")
	}
	return name, nicks
}

var origins = []origin{
	{
		name: "english",
		male: []string{"William=Bill,Will,Billy", "Robert=Bob,Rob,Bobby", "Richard=Rick,Rich,Dick", "James=Jim,Jimmy,Jamie",
			"Michael=Mike,Mikey", "Edward=Ed,Ted,Eddie", "Charles=Chuck,Charlie", "Anthony=Tony", "Joseph=Joe,Joey",
			"Thomas=Tom,Tommy", "Christopher=Chris", "Daniel=Dan,Danny", "Jonathan=Jon", "Nicholas=Nick",
			"Matthew=Matt", "Andrew=Andy,Drew", "Benjamin=Ben", "Samuel=Sam", "Theodore=Ted,Teddy,Theo",
			"Henry=Hank,Harry", "John=Jack,Johnny", "Frederick=Fred,Freddie", "Lawrence=Larry", "Gerald=Jerry",
			"Harold=Hal,Harry", "Timothy=Tim", "Stephen=Steve", "Gregory=Greg", "Douglas=Doug", "Kenneth=Ken,Kenny",
			"Ronald=Ron,Ronnie", "Peter=Pete", "David=Dave", "Mark", "Brian", "Kevin", "Scott", "Ryan", "Zachary=Zach",
			"Raymond=Ray", "Walter=Walt", "Phillip=Phil"},
		female: []string{"Margaret=Peggy,Maggie,Meg", "Elizabeth=Liz,Beth,Betsy,Eliza", "Katherine=Kate,Kathy,Katie",
			"Jennifer=Jen,Jenny", "Patricia=Pat,Patty,Trish", "Susan=Sue,Suzy", "Deborah=Deb,Debbie",
			"Rebecca=Becky,Becca", "Alexandra=Alex,Lexi", "Dorothy=Dot,Dottie", "Frances=Fran,Frankie",
			"Victoria=Vicky,Tori", "Penelope=Penny", "Abigail=Abby", "Christine=Chris,Chrissy", "Jessica=Jess",
			"Amanda=Mandy", "Samantha=Sam", "Cynthia=Cindy", "Barbara=Barb", "Kimberly=Kim", "Laura", "Sarah",
			"Emily", "Rachel", "Megan", "Olivia=Liv", "Judith=Judy", "Theresa=Terri,Tess", "Allison=Ally"},
		family: []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
			"Taylor", "Moore", "Jackson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen",
			"King", "Wright", "Hill", "Green", "Baker", "Adams", "Nelson", "Carter", "Mitchell", "Roberts", "Turner",
			"Phillips", "Campbell", "Parker", "Evans", "Edwards", "Collins", "Stewart", "Morris", "Cooper", "Reed",
			"Bailey", "Bell", "Hughes", "Fletcher", "Whitaker", "Pemberton", "Ashworth", "Holloway", "Sutherland",
			"Thornton", "Blackwood", "Caldwell", "Hargreaves", "Winslow", "Prescott", "Langley", "Whitfield"},
	},
	{
		name: "irish",
		male: []string{"Seán=Sean", "Ciarán=Ciaran", "Pádraig=Paddy,Padraig", "Declan", "Eoin", "Cormac", "Liam",
			"Niall", "Fergus", "Dermot", "Colm", "Ruairí=Rory"},
		female: []string{"Siobhán=Siobhan", "Niamh", "Aoife", "Róisín=Roisin", "Fionnuala=Nuala,Finola", "Saoirse",
			"Orla", "Gráinne=Grainne", "Caoimhe", "Deirdre=Dee", "Bríd=Bridget,Breda"},
		family: []string{"O'Brien", "O'Connor", "McCarthy", "Murphy", "Kelly", "Byrne", "Ryan", "Doyle", "O'Sullivan",
			"Fitzgerald", "MacDonald", "McKenzie", "Fraser", "Buchanan", "O'Neill", "Gallagher", "Kennedy", "Quinn",
			"Ó Briain", "McLaughlin", "Mac Giolla"},
	},
	{
		name: "german",
		male: []string{"Johannes=Hannes,Jo", "Wolfgang=Wolf", "Friedrich=Fritz", "Jürgen", "Günther", "Matthias=Matze",
			"Stefan", "Andreas=Andi", "Christoph", "Maximilian=Max", "Florian=Flo", "Tobias=Tobi", "Uwe", "Sören",
			"Klaus", "Dieter", "Joachim=Achim", "Bernhard=Bernd", "Ludwig=Lutz", "Henning", "Ralf", "Jörg"},
		female: []string{"Katharina=Kathi,Katja", "Elisabeth=Lisa,Liesl,Elli", "Dörte", "Sabine=Bine", "Ulrike=Ulli",
			"Annegret", "Heike", "Bärbel", "Susanne=Susi", "Gabriele=Gabi", "Franziska=Franzi", "Claudia",
			"Birgit", "Jutta", "Mareike", "Anja", "Kerstin", "Friederike=Frieda,Rike"},
		family: []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
			"Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz",
			"Zimmermann", "Braun", "Krüger", "Hartmann", "Lange", "Köhler", "Weiß", "Jäger", "Vogel", "Groß",
			"Brandt", "Kühn", "Dietrich", "von Bülow", "Oberländer", "Straßburger", "Achterberg"},
	},
	{
		name: "french",
		male: []string{"Jean-Pierre=JP", "François=Francois", "Stéphane", "Sébastien=Seb", "Jérôme", "Frédéric=Fred",
			"Guillaume", "Thierry", "Benoît", "Hervé", "Christophe=Chris", "Dominique", "Laurent", "Olivier",
			"Jean-Baptiste=JB", "Mathieu", "Rémi", "Gaëtan"},
		female: []string{"Hélène", "Émilie", "Amélie", "Céline", "Nathalie", "Aurélie", "Véronique=Véro", "Mathilde",
			"Léa", "Gaëlle", "Isabelle=Isa", "Anne-Sophie", "Marie-Claire", "Sandrine", "Élodie", "Ségolène",
			"Béatrice=Béa", "Margaux"},
		family: []string{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
			"Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin",
			"Boucher", "Chevalier", "Lemaître", "Fontaine", "Mercier", "Dupont", "Girard", "Bonnet", "de la Croix",
			"Saint-Amand", "Bélanger"},
	},
	{
		name: "spanish",
		male: []string{"José=Pepe", "Francisco=Paco,Pancho", "Ignacio=Nacho", "Enrique=Quique", "Jesús=Chucho",
			"Alejandro=Alex,Ale", "Manuel=Manolo", "Rafael=Rafa", "Antonio=Toño,Tony", "Ángel", "Raúl", "Andrés",
			"Javier=Javi", "Fernando=Nando", "Guillermo=Memo", "José Luis", "Juan Carlos", "Santiago=Santi",
			"Eduardo=Lalo"},
		female: []string{"Guadalupe=Lupe", "Dolores=Lola", "Concepción=Concha", "María", "Lucía", "Sofía", "Carmen",
			"Pilar", "Inés", "Beatriz=Bea", "María José=Majo", "Rosario=Charo", "Mercedes=Merche", "Ana Belén",
			"Ximena", "Graciela=Chela"},
		family: []string{"García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez", "Sánchez",
			"Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Morales", "Ortiz", "Gutiérrez", "Chávez",
			"Ruiz", "Jiménez", "Álvarez", "Romero", "Navarro", "Domínguez", "Vázquez", "Castillo", "Muñoz", "Ibáñez",
			"Peña", "García López", "Fernández de Córdoba", "de la Fuente"},
	},
	{
		name: "italian",
		male: []string{"Giuseppe=Beppe,Pino", "Francesco=Franco,Checco", "Giovanni=Gianni", "Alessandro=Sandro,Ale",
			"Roberto", "Massimo=Max", "Lorenzo=Enzo", "Niccolò=Nicco", "Salvatore=Totò,Salvo", "Vincenzo=Enzo",
			"Gianluca", "Pierpaolo", "Marco", "Davide", "Stefano"},
		female: []string{"Antonella", "Giulia", "Chiara", "Federica=Fede", "Francesca=Franca,Fra", "Elisabetta=Betta",
			"Alessandra=Sandra", "Giovanna=Gianna", "Raffaella=Lella", "Silvia", "Valentina=Vale", "Ilaria"},
		family: []string{"Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino",
			"Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo", "Lombardi",
			"Moretti", "D'Angelo", "Ferraro", "Di Stefano", "Lo Bianco"},
	},
	{
		name: "portuguese",
		male: []string{"João", "Luís=Luis", "Gonçalo", "Thiago=Tiago", "Rodrigo=Digo", "Eduardo=Edu", "Sebastião",
			"Luiz Fernando", "Paulo", "Marcelo", "Henrique=Rique", "Vinícius=Vini"},
		female: []string{"Conceição=São", "Fátima", "Ana Paula", "Mariana=Mari", "Gabriela=Gabi", "Juliana=Ju",
			"Letícia", "Beatriz=Bia", "Luíza", "Renata", "Fernanda=Nanda"},
		family: []string{"Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa", "Carvalho", "Almeida", "Ferreira",
			"Ribeiro", "Gonçalves", "Araújo", "Barbosa", "Cardoso", "Rocha", "Magalhães", "da Silva", "dos Santos",
			"Nascimento", "Conceição"},
	},
	{
		name: "dutch",
		male: []string{"Johannes=Jan,Hans", "Pieter=Piet", "Cornelis=Kees", "Willem=Wim", "Hendrik=Henk", "Geert",
			"Joost", "Maarten", "Jeroen", "Bram", "Gerrit", "Thijs", "Ruud", "Sjoerd"},
		female: []string{"Sanne", "Femke", "Anouk", "Marloes", "Johanna=Joke,Hanneke", "Wilhelmina=Mien,Wilma",
			"Margriet", "Ingeborg=Inge", "Esther", "Lieke", "Maartje"},
		family: []string{"de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser", "Smit", "Meijer",
			"de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer",
			"de Wit", "van der Meer", "van 't Hof", "Dijkstra", "Kuipers"},
	},
	{
		name: "nordic",
		male: []string{"Lars", "Anders", "Björn", "Sven", "Magnus", "Henrik", "Johan", "Mikael=Micke", "Søren",
			"Jørgen", "Olof=Olle", "Per", "Nils", "Fredrik=Fredde", "Åke"},
		female: []string{"Åsa", "Ingrid", "Sofia", "Maja", "Linnea", "Karin", "Mette", "Kristina=Stina,Kicki",
			"Margareta=Maggan,Greta", "Birgitta=Britt,Gittan", "Astrid", "Sigrid", "Elisabet=Lisa,Betty"},
		family: []string{"Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
			"Svensson", "Gustafsson", "Lindqvist", "Lindström", "Bergström", "Sjöberg", "Nyström", "Holm", "Jensen",
			"Nielsen", "Hansen", "Pedersen", "Sørensen", "Åberg", "Østergaard"},
	},
	{
		name: "polish",
		male: []string{"Krzysztof=Krzysiek", "Wojciech=Wojtek", "Grzegorz=Grzesiek", "Piotr", "Tomasz=Tomek", "Łukasz",
			"Michał", "Paweł", "Jakub=Kuba", "Marcin", "Przemysław=Przemek", "Stanisław=Staszek"},
		female: []string{"Małgorzata=Gosia,Małgosia", "Katarzyna=Kasia", "Aleksandra=Ola", "Agnieszka=Aga",
			"Magdalena=Magda", "Joanna=Asia", "Anna=Ania", "Barbara=Basia", "Dorota", "Ewa", "Elżbieta=Ela"},
		family: []string{"Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
			"Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur", "Grabowski",
			"Pawłowski", "Król"},
		femaleFamily: func(s string) string {
			if strings.HasSuffix(s, "ski") || strings.HasSuffix(s, "cki") {
				return strings.TrimSuffix(s, "i") + "a"
			}
			return s
		},
	},
	{
		name: "russian",
		male: []string{"Aleksandr=Sasha,Alex", "Dmitry=Dima", "Mikhail=Misha", "Vladimir=Volodya,Vova", "Ivan=Vanya",
			"Sergey=Seryozha,Sergei", "Yuri=Yura", "Andriy=Andrii", "Nikolai=Kolya", "Konstantin=Kostya",
			"Pavel=Pasha", "Alexei=Alyosha,Alexey"},
		female: []string{"Ekaterina=Katya,Katia", "Natalia=Natasha,Nataliya", "Anastasia=Nastya", "Yelena=Lena,Elena",
			"Olga=Olya", "Tatiana=Tanya,Tatyana", "Oksana", "Svetlana=Sveta", "Irina=Ira", "Yulia=Julia",
			"Mariya=Masha,Maria"},
		family: []string{"Ivanov", "Smirnov", "Kuznetsov", "Popov", "Sokolov", "Lebedev", "Kozlov", "Novikov",
			"Morozov", "Volkov", "Petrenko", "Shevchenko", "Kovalenko", "Bondarenko", "Melnyk", "Vasiliev", "Orlov",
			"Zaitsev", "Pavlenko"},
		femaleFamily: func(s string) string {
			for _, suf := range []string{"ov", "ev", "in"} {
				if strings.HasSuffix(s, suf) {
					return s + "a"
				}
			}
			return s
		},
	},
	{
		name:   "chinese",
		male:   []string{"Wei", "Lei", "Jun", "Hao", "Ming", "Qiang", "Tao", "Jian", "Bo", "Chao", "Xiaoming", "Zhiwei", "Yong", "Peng", "Haoran"},
		female: []string{"Li", "Fang", "Min", "Jing", "Hui", "Yan", "Ying", "Xin", "Lin", "Xiaoyan", "Yuqing", "Meiling", "Na", "Qian"},
		family: []string{"Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun",
			"Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Gao", "Luo", "Zheng", "Liang", "Xie", "Tang", "Song", "Deng"},
	},
	{
		name: "indian",
		male: []string{"Rajesh=Raj", "Anil", "Sunil", "Ramesh", "Suresh", "Venkatesh=Venky,Venki", "Srinivas=Srini",
			"Subramanian=Subbu,Subra", "Deepak", "Rahul", "Vikram=Vicky", "Arjun", "Sanjay", "Abhishek=Abhi",
			"Mohammed=Mohd", "Karthik", "Pradeep", "Siddharth=Sid", "Gopalakrishnan=Gopal", "Nitin"},
		female: []string{"Priya", "Lakshmi", "Anjali", "Pooja", "Aishwarya=Aish", "Kavya", "Neha", "Meenakshi=Meena",
			"Divya", "Shruti", "Sunita", "Swati", "Bhavana", "Revathi"},
		family: []string{"Sharma", "Patel", "Singh", "Kumar", "Gupta", "Reddy", "Iyer", "Nair", "Rao", "Mehta", "Shah",
			"Joshi", "Desai", "Krishnan", "Chatterjee", "Banerjee", "Mukherjee", "Agarwal", "Pillai", "Menon", "Verma",
			"Khan", "Venkataraman", "Subramaniam", "Bhattacharya", "Kulkarni", "Deshpande"},
	},
	{
		name: "japanese",
		male: []string{"Hiroshi", "Takeshi", "Kenji", "Haruto", "Sota", "Daisuke", "Satoshi", "Kazuhiro=Kazu",
			"Shinji", "Ryota", "Takumi", "Yoshiaki", "Kōji=Koji", "Shun"},
		female: []string{"Yuki", "Akiko", "Yoko", "Keiko", "Naoko", "Tomoko", "Ayumi", "Haruka", "Misaki", "Emi",
			"Yūko=Yuko", "Megumi"},
		family: []string{"Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura",
			"Kobayashi", "Kato", "Yoshida", "Yamada", "Sasaki", "Yamaguchi", "Matsumoto", "Inoue", "Kimura",
			"Hayashi", "Shimizu", "Saitō", "Ōno"},
	},
	{
		name:   "korean",
		male:   []string{"Min-jun=Minjun", "Ji-hoon=Jihoon", "Hyun-woo=Hyunwoo", "Dong-hyun=Donghyun", "Jae-won=Jaewon", "Young-ho=Youngho", "Sung-min=Sungmin"},
		female: []string{"Seo-yeon=Seoyeon", "Ji-woo=Jiwoo", "Soo-jin=Soojin", "Eun-ji=Eunji", "Hye-jin=Hyejin", "Min-ji=Minji"},
		family: []string{"Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Han", "Shin"},
	},
	{
		name: "arabic",
		male: []string{"Mohammed=Mohamed,Muhammad,Mo", "Ahmed=Ahmad", "Ali", "Omar=Umar", "Yusuf=Youssef",
			"Khalid=Khaled", "Hassan", "Ibrahim", "Tariq=Tarek", "Karim", "Samir", "Abdullah=Abdallah", "Mahmoud",
			"Walid"},
		female: []string{"Fatima=Fatma", "Aisha=Aicha", "Layla=Leila", "Mariam=Maryam", "Noura=Nora", "Rania",
			"Yasmin=Yasmine", "Huda", "Salma", "Dina", "Amira"},
		family: []string{"Khan", "Ali", "Hassan", "Hussein", "Ahmed", "Rahman", "Abdullah", "Haddad", "Khoury",
			"Nasser", "Saleh", "Mansour", "Farouk", "Aziz", "Al-Farsi", "El-Amin", "Al Mansouri", "Bakr", "Chaudhry",
			"Qureshi"},
	},
	{
		name:   "vietnamese",
		male:   []string{"Minh", "Tuan", "Duc", "Quang", "Hung", "Long", "Thanh", "Phuc", "Khoa"},
		female: []string{"Linh", "Hoa", "Huong", "Anh", "Mai", "Thao", "Trang", "Ngoc", "Lan"},
		family: []string{"Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu", "Dang", "Bui", "Do", "Ngo"},
	},
	{
		name: "nigerian",
		male: []string{"Chinedu=Chi", "Oluwaseun=Seun", "Adebayo=Bayo", "Emeka", "Olumide=Mide", "Babajide=Jide",
			"Oluwadamilare=Dami,Lare", "Ifeanyi=Ife", "Tunde", "Obinna"},
		female: []string{"Ngozi", "Chiamaka=Amaka", "Folake=Fola", "Temitope=Tope", "Oluwakemi=Kemi", "Adaeze=Ada",
			"Funmilayo=Funmi", "Chioma", "Yetunde=Yetty"},
		family: []string{"Okafor", "Adeyemi", "Okonkwo", "Balogun", "Eze", "Nwosu", "Adebayo", "Ogunleye", "Obi",
			"Afolabi", "Olawale", "Chukwu", "Oyelaran"},
	},
}

func originNamed(name string) int {
	for i, o := range origins {
		if o.name == name {
			return i
		}
	}
	panic("no origin " + name)
}

// commonNames are very frequent full names, given to several people at
// the large employers so namesakes meet there.
var commonNames = [][2]string{
	{"Wei", "Zhang"}, {"Maria", "Garcia"}, {"John", "Smith"}, {"Mohammed", "Khan"}, {"Li", "Wang"},
	{"José", "Rodríguez"}, {"Priya", "Sharma"}, {"Ahmed", "Ali"}, {"Thomas", "Müller"}, {"Jean", "Martin"},
	{"Hiroshi", "Sato"}, {"Min-jun", "Kim"}, {"David", "Lee"}, {"Michael", "Johnson"}, {"Anna", "Nowak"},
	{"Rahul", "Kumar"}, {"Jennifer", "Brown"}, {"James", "Wilson"}, {"Ana", "Silva"}, {"Jing", "Li"},
}

// Functions and the titles of their levels: 0 and 1 are individual
// contributors, 2 manager, 3 director, 4 vice president, 5 executive.
type function struct {
	name  string // as in "Director of Sales"
	ic    []string
	chief []string
}

var functions = []function{
	{"Sales", []string{"Account Executive", "Sales Representative", "Business Development Representative"}, []string{"Chief Revenue Officer", "CRO"}},
	{"Marketing", []string{"Marketing Specialist", "Content Marketing Manager", "Demand Generation Specialist"}, []string{"Chief Marketing Officer", "CMO"}},
	{"Engineering", []string{"Software Engineer", "Mechanical Engineer", "DevOps Engineer"}, []string{"Chief Technology Officer", "CTO"}},
	{"Finance", []string{"Financial Analyst", "Accountant", "Controller"}, []string{"Chief Financial Officer", "CFO"}},
	{"Operations", []string{"Operations Analyst", "Supply Chain Planner", "Logistics Coordinator"}, []string{"Chief Operating Officer", "COO"}},
	{"Human Resources", []string{"HR Business Partner", "Recruiter", "Talent Acquisition Specialist"}, []string{"Chief Human Resources Officer", "CHRO"}},
	{"Information Technology", []string{"Systems Administrator", "IT Support Specialist", "Network Engineer"}, []string{"Chief Information Officer", "CIO"}},
	{"Product", []string{"Product Manager", "Product Owner", "UX Designer"}, []string{"Chief Product Officer", "CPO"}},
	{"Legal", []string{"Legal Counsel", "Paralegal", "Compliance Officer"}, []string{"Chief Legal Officer", "CLO"}},
	{"Procurement", []string{"Buyer", "Purchasing Agent", "Category Manager"}, []string{"Chief Procurement Officer", "Chief Procurement Officer (CPO)"}},
	{"Customer Success", []string{"Customer Success Manager", "Support Engineer", "Implementation Consultant"}, []string{"Chief Customer Officer", "CCO"}},
	{"Data", []string{"Data Analyst", "Data Scientist", "Data Engineer"}, []string{"Chief Data Officer", "CDO"}},
}

// short forms of function names in titles ("VP Eng", "HR Manager").
var functionShort = map[string]string{
	"Human Resources": "HR", "Information Technology": "IT", "Engineering": "Eng", "Operations": "Ops",
	"Customer Success": "CS", "Marketing": "Mktg",
}

var generalTitles = []string{"Chief Executive Officer", "CEO", "Founder & CEO", "Managing Director", "President",
	"Co-Founder & CTO", "Owner", "Managing Partner", "Geschäftsführer", "Directeur Général"}
